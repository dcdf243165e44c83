// One MQTT connection of the edge node: one Sparkplug session. Clean Session / Clean Start with a session
// expiry of 0, the NDEATH as the will at QoS 1 (not retained), no reconnection of its own: a new
// connection is a new session with a new bdSeq, which edge-node.ts decides.
import type { IClientOptions, MqttClient } from 'mqtt';
import { requireCommonJs } from '../commonjs.js';
import { loginOptions, type BrokerLogin } from '../config/broker-login.js';

export interface ConnectionOptions extends BrokerLogin {
  will: { topic: string; payload: Buffer };
}

export interface EdgeConnection {
  readonly v5: boolean;
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  /** At QoS 1 (message-flow-edge-node-ncmd-subscribe, message-flow-device-dcmd-subscribe). */
  subscribe(filters: string[]): Promise<void>;
  /** `retained`: the broker replayed a stored copy (not a live message). */
  onMessage(handler: (topic: string, payload: Buffer, retained: boolean) => void): void;
  /** Called once when the connection ends without our asking. */
  onLost(handler: (reason: string) => void): void;
  /** MQTT 5: DISCONNECT with reason 0x04, so the broker sends the will; 3.1.1: a plain DISCONNECT. */
  end(withWill: boolean): Promise<void>;
}

/** Inbound packets are commands and STATE: small. */
const MAX_INBOUND_PACKET = 65_536;
const CONNECT_TIMEOUT_MS = 10_000;
const END_GRACE_MS = 3_000;
const DISCONNECT_WITH_WILL = 0x04;

export async function openEdgeConnection(o: ConnectionOptions): Promise<EdgeConnection> {
  const mqtt = requireCommonJs('mqtt') as typeof import('mqtt');
  const v5 = o.protocolVersion === 5;
  const options: IClientOptions = {
    ...loginOptions(o),
    clean: true,
    properties: v5 ? { sessionExpiryInterval: 0, maximumPacketSize: MAX_INBOUND_PACKET } : undefined,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    will: { topic: o.will.topic, payload: o.will.payload, qos: 1, retain: false },
  };
  const client: MqttClient = mqtt.connect(o.url, options);
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => {
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.off('error', failed);
      client.off('close', closed);
      resolve();
    });
    const closed = (): void => failed(new Error('connection closed before CONNACK'));
    client.once('error', failed);
    client.once('close', closed);
  });
  // Births and data are many small packets: Nagle would hold each behind the last one's ACK.
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  let ending = false;
  let lost: ((reason: string) => void) | undefined;
  let lastError = 'connection closed';
  client.on('error', (err) => (lastError = err.message));
  client.once('close', () => {
    if (!ending) lost?.(lastError);
  });
  return {
    v5,
    async publish(topic, payload, qos) {
      await client.publishAsync(topic, payload, { qos, retain: false });
    },
    async subscribe(filters) {
      await client.subscribeAsync(filters, { qos: 1 });
    },
    onMessage(handler) {
      client.on('message', (topic, payload, packet) => handler(topic, payload, packet.retain));
    },
    onLost(handler) {
      lost = handler;
    },
    async end(withWill) {
      ending = true;
      const timer = setTimeout(() => client.end(true), END_GRACE_MS);
      await client.endAsync(false, withWill && v5 ? { reasonCode: DISCONNECT_WITH_WILL } : {}).catch(() => undefined);
      clearTimeout(timer);
    },
  };
}
