// KV changes on the broker where EdgeX's keeper configuration clients watch (go-mod-configuration and
// app-functions-sdk-python subscribe `edgex/configs/{basePath}/{waitKey}/#`): one message per changed key on
// `{prefix}/{key}`, a go-mod-messaging MessageEnvelope whose base64 payload is the KVS DTO {key, value}.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus, KvEvent } from '../events.js';
import { kvText } from '../operations/kv-keys.js';
import type { MqttTransport } from './transport.js';
import { isTopicName } from './topic-rules.js';

export function keeperChangeEnvelope(e: KvEvent): Record<string, unknown> {
  // Keeper stores text: watchers compare the message's value with a plaintext read of the same key.
  const value = e.value === undefined ? undefined : kvText(e.value);
  const kvs = { key: e.key, ...(value !== undefined ? { value } : {}), modified: e.at };
  return {
    apiVersion: 'v3',
    receivedTopic: '',
    correlationID: randomUUID(),
    requestID: '',
    errorCode: 0,
    payload: Buffer.from(JSON.stringify(kvs)).toString('base64'),
    contentType: 'application/json',
  };
}

export class KeeperChangePublisher {
  private off?: () => void;

  constructor(
    private readonly o: { transport: MqttTransport; events: EventBus; topicPrefix: string; log: Logger },
  ) {}

  start(): void {
    this.off = this.o.events.on((e) => {
      if (e.kind !== 'kv') return;
      const topic = `${this.o.topicPrefix}/${e.key}`;
      // Keys are checked where they enter; a topic with a wildcard or NUL would still cut the connection.
      if (!isTopicName(topic)) return this.o.log.warn({ key: e.key.slice(0, 128) }, 'KV change not published: its key is no topic name');
      this.o.transport.publish(topic, JSON.stringify(keeperChangeEnvelope(e)), { qos: 1 }).catch((err: unknown) => this.o.log.warn({ err, topic }, 'KV change not published'));
    });
  }

  stop(): void {
    this.off?.();
  }
}
