// The agent as a client of an external broker (mosquitto, ...): MQTT 5 by default, with a will saying OFFLINE.
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { requireCommonJs } from '../commonjs.js';
import { loginOptions, type BrokerLogin } from '../config/broker-login.js';
import { MAX_PACKET_BYTES } from './limits.js';
import { EXTERNAL_BROKER } from '../policy/principal.js';
import { isTopicName } from './topic-rules.js';
import type { MessageHandler, MqttTransport, PublishOptions } from './transport.js';

const mqtt = requireCommonJs('mqtt') as typeof import('mqtt');

export interface ExternalClientOptions extends BrokerLogin {
  will: { topic: string; payload: Buffer };
  log: Logger;
}

/** Reconnect delays: doubling from the base up to the cap, back to the base once connected. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/** Larger packets are not sent to us (MQTT 5 Maximum Packet Size); requests stop at 64 KiB anyway. */
const MAX_INBOUND_PACKET = MAX_PACKET_BYTES;
const CLOSE_GRACE_MS = 3_000;

export async function connectExternal(options: ExternalClientOptions): Promise<MqttTransport> {
  const connectOptions: IClientOptions = {
    ...loginOptions(options),
    // A persistent session: requests sent while the agent was away are delivered when it returns.
    clean: false,
    properties: options.protocolVersion === 5 ? { sessionExpiryInterval: 86_400, maximumPacketSize: MAX_INBOUND_PACKET } : undefined,
    // Reconnection is ours (below): mqtt.js only knows a fixed period.
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    will: { topic: options.will.topic, payload: options.will.payload, qos: 1, retain: true },
  };
  const client: MqttClient = mqtt.connect(options.url, connectOptions);
  let handler: MessageHandler | undefined;
  // A resumed session delivers what was queued for us right after CONNACK, before subscribe() hands
  // over the handler; those messages wait here, un-acknowledged, instead of being dropped.
  const early: Array<[IPublishPacket, () => void]> = [];
  let filters: string[] = [];
  // Retain As Published (MQTT 5): a request or heartbeat published with retain arrives marked, as on the
  // embedded broker, so the front ignores it live as well as when the broker replays it.
  const subscribeOptions = { qos: 1 as const, rap: options.protocolVersion === 5 };
  // mqtt.js sends the PUBACK of a QoS 1 message once this callback runs: after the journal write.
  client.handleMessage = (packet, callback) => {
    if (packet.cmd !== 'publish') return callback();
    if (!handler) {
      early.push([packet, () => callback()]);
      return;
    }
    deliver(handler, packet, () => callback());
  };
  const deliver = (h: MessageHandler, packet: IPublishPacket, callback: () => void): void => {
    const props = packet.properties;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    h({
      topic: packet.topic,
      payload,
      retain: packet.retain,
      dup: packet.dup,
      contentType: props?.contentType,
      responseTopic: props?.responseTopic,
      correlationData: props?.correlationData,
      // The external broker authenticated and authorised the sender; the agent cannot see who it was.
      principal: EXTERNAL_BROKER,
    }).then(
      () => callback(),
      () => callback(),
    );
  };
  // Replies can span several TCP segments; Nagle plus delayed ACKs would hold each one ~40 ms.
  client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
  client.on('error', (err) => options.log.warn({ err: err.message }, 'mqtt client error'));
  let closing = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;
  let connectedOnce = false;
  client.on('close', () => {
    if (closing || retry) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** attempt++);
    if (attempt === 1) options.log.warn({ url: options.url }, 'mqtt broker unreachable; reconnecting');
    retry = setTimeout(() => {
      retry = undefined;
      options.log.debug({ attempt, delay }, 'mqtt reconnecting');
      // The stores are handed back so QoS 1 publishes queued while away go out after the reconnect.
      client.reconnect({ incomingStore: client.incomingStore, outgoingStore: client.outgoingStore });
    }, delay);
  });
  const reconnectListeners: Array<() => void> = [];
  client.on('connect', (connack) => {
    if (connectedOnce) options.log.info({ url: options.url, attempts: attempt, sessionPresent: connack.sessionPresent }, 'reconnected to MQTT broker');
    attempt = 0;
    // A broker that lost our session (no persistence) has lost our subscriptions too.
    if (connectedOnce && !connack.sessionPresent && filters.length) {
      client.subscribe(filters, subscribeOptions, (err) => err && options.log.warn({ err: err.message }, 'mqtt re-subscribe failed'));
    }
    if (connectedOnce) for (const listener of reconnectListeners) listener();
    connectedOnce = true;
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      closing = true;
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
    onReconnect: (listener) => void reconnectListeners.push(listener),
    async subscribe(wanted, h) {
      handler = h;
      filters = [...new Set([...filters, ...wanted])];
      for (const [packet, callback] of early.splice(0)) deliver(h, packet, callback);
      await client.subscribeAsync(wanted, subscribeOptions);
    },
    async publish(topic: string, payload: Buffer | string, opts: PublishOptions = {}) {
      const properties =
        v5 && (opts.contentType || opts.correlationData)
          ? { contentType: opts.contentType, correlationData: opts.correlationData }
          : undefined;
      // A wildcard or NUL in a topic makes the broker cut us off, and the queued publish would be re-sent on
      // every reconnect: it never leaves here.
      if (!isTopicName(topic)) throw new Error(`not a valid topic name: ${JSON.stringify(topic.slice(0, 80))}`);
      if (options.log.isLevelEnabled('trace')) options.log.trace({ topic, payload: payload.toString() }, 'mqtt publish');
      await client.publishAsync(topic, payload, { qos: opts.qos ?? 1, retain: opts.retain ?? false, properties });
    },
    async close() {
      closing = true;
      clearTimeout(retry);
      // A graceful end waits for unacknowledged publishes; with the broker gone that would be forever.
      const timer = setTimeout(() => client.end(true), CLOSE_GRACE_MS);
      await client.endAsync().catch(() => undefined);
      clearTimeout(timer);
    },
  };
}
