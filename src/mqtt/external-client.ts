// The agent as a client of an external broker (mosquitto, ...): MQTT 5 by default, with a will saying OFFLINE.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MessageHandler, MqttTransport, PublishOptions } from './transport.js';

export interface ExternalClientOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  protocolVersion: 4 | 5;
  will: { topic: string; payload: Buffer };
  log: Logger;
}

export async function connectExternal(options: ExternalClientOptions): Promise<MqttTransport> {
  const connectOptions: IClientOptions = {
    clientId: options.clientId,
    protocolVersion: options.protocolVersion,
    username: options.username,
    password: options.password,
    ca: options.ca ? readFileSync(options.ca) : undefined,
    cert: options.cert ? readFileSync(options.cert) : undefined,
    key: options.key ? readFileSync(options.key) : undefined,
    // A persistent session: requests sent while the agent was away are delivered when it returns.
    clean: false,
    properties: options.protocolVersion === 5 ? { sessionExpiryInterval: 86_400 } : undefined,
    reconnectPeriod: 1_000,
    connectTimeout: 10_000,
    will: { topic: options.will.topic, payload: options.will.payload, qos: 1, retain: true },
  };
  const client: MqttClient = mqtt.connect(options.url, connectOptions);
  let handler: MessageHandler | undefined;
  // mqtt.js sends the PUBACK of a QoS 1 message once this callback runs: after the journal write.
  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish' || !handler) return callback();
    const props = packet.properties;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    handler({
      topic: packet.topic,
      payload,
      contentType: props?.contentType,
      responseTopic: props?.responseTopic,
      correlationData: props?.correlationData,
    }).then(
      () => callback(),
      () => callback(),
    );
  };
  client.on('error', (err) => options.log.warn({ err: err.message }, 'mqtt client error'));
  client.on('offline', () => options.log.warn({ url: options.url }, 'mqtt broker unreachable; reconnecting'));
  client.on('reconnect', () => options.log.debug('mqtt reconnecting'));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.off('error', onError);
      resolve();
    });
    client.once('error', onError);
  });
  options.log.info({ url: options.url, protocolVersion: options.protocolVersion }, 'connected to external MQTT broker');
  const v5 = options.protocolVersion === 5;
  return {
    speaksV5: v5,
    async subscribe(filters, h) {
      handler = h;
      await client.subscribeAsync(filters, { qos: 1 });
    },
    async publish(topic: string, payload: Buffer | string, opts: PublishOptions = {}) {
      const properties =
        v5 && (opts.contentType || opts.correlationData)
          ? { contentType: opts.contentType, correlationData: opts.correlationData }
          : undefined;
      await client.publishAsync(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false, properties });
    },
    close: () => client.endAsync(),
  };
}
