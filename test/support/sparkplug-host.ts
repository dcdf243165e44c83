// A Sparkplug host application for tests, on its own MQTT connection to mosquitto: records everything under
// spBv1.0/ with its QoS and retain flag, decodes births with Eclipse Tahu's sparkplug-payload and DATA
// with the datatypes its births gave (as a host does), publishes STATE and sends NCMD/DCMD built by Tahu.
import { createRequire } from 'node:module';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload } from '../../src/sparkplug/payload.js';
import { waitFor } from './wait-for.js';

const require = createRequire(import.meta.url);
type TahuMetric = { name?: string; type: string; value: unknown; timestamp?: unknown };
const tahu = (require('sparkplug-payload') as {
  get(ns: string): { decodePayload(b: Uint8Array): { timestamp?: unknown; seq?: unknown; metrics?: TahuMetric[] }; encodePayload(p: object): Uint8Array };
}).get('spBv1.0')!;

const num = (v: unknown): number | undefined =>
  v === undefined || v === null ? undefined : typeof v === 'object' && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v);

export interface Seen {
  topic: string;
  verb: string;
  device?: string;
  qos: number;
  retain: boolean;
  timestamp?: number;
  seq?: number;
  /** name -> value (64-bit values as numbers). */
  metrics: Map<string, unknown>;
  /** name -> datatype name, on births. */
  types: Map<string, string>;
  at: number;
}

export class SparkplugHost {
  readonly seen: Seen[] = [];

  private constructor(private readonly client: MqttClient, private readonly group: string, private readonly edge: string) {
    client.on('message', (topic, payload, packet) => this.record(topic, payload, packet.qos, packet.retain));
  }

  static async connect(url: string, group: string, edge: string): Promise<SparkplugHost> {
    const client = await mqtt.connectAsync(url, { clientId: `test-host-${process.pid}-${Date.now()}`, protocolVersion: 4, reconnectPeriod: 0 });
    const host = new SparkplugHost(client, group, edge);
    await client.subscribeAsync(`spBv1.0/${group}/#`, { qos: 1 });
    return host;
  }

  private record(topic: string, payload: Buffer, qos: number, retain: boolean): void {
    const [, , verb, , device] = topic.split('/');
    if (verb === 'NCMD' || verb === 'DCMD') return;
    const seen: Seen = { topic, verb, device, qos, retain, metrics: new Map(), types: new Map(), at: performance.now() };
    // Values with our decoder, which a host reads DATA with anyway (DATA leaves the datatype out:
    // payloads-metric-datatype-not-req); births and deaths also through Tahu's decoder, whose names,
    // datatypes and values must agree (but for UInt32, which sparkplug-payload 1.0.3 reads from long_value).
    const p = decodePayload(payload);
    seen.timestamp = p.timestamp;
    seen.seq = p.seq;
    for (const m of p.metrics) seen.metrics.set(m.name!, m.value);
    if (verb.endsWith('BIRTH') || verb.endsWith('DEATH')) {
      const t = tahu.decodePayload(payload);
      if (num(t.timestamp) !== p.timestamp || num(t.seq) !== p.seq) throw new Error(`Tahu reads ${topic} differently`);
      for (const m of t.metrics ?? []) {
        seen.types.set(m.name!, m.type);
        const value = typeof m.value === 'object' && m.value !== null ? num(m.value) : m.value;
        if (m.type !== 'UInt32' && value !== seen.metrics.get(m.name!)) throw new Error(`Tahu reads ${topic} ${m.name} as ${String(value)}`);
      }
    }
    this.seen.push(seen);
  }

  of(verb: string, device?: string): Seen[] {
    return this.seen.filter((s) => s.verb === verb && (device === undefined || s.device === device));
  }

  /** Waits for a message after index `from` matching `match`. */
  next(what: string, match: (s: Seen) => boolean, from = 0, timeoutMs = 10_000): Promise<Seen> {
    return waitFor(what, () => this.seen.slice(from).find(match), timeoutMs);
  }

  mark(): number {
    return this.seen.length;
  }

  async state(hostId: string, body: unknown): Promise<void> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    await this.client.publishAsync(`spBv1.0/STATE/${hostId}`, payload, { qos: 1, retain: true });
  }

  /** `retain` only to attack the node: commands are never retained. */
  async ncmd(metrics: Array<{ name: string; type: string; value: unknown }>, opts: { retain?: boolean } = {}): Promise<void> {
    await this.client.publishAsync(`spBv1.0/${this.group}/NCMD/${this.edge}`, Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics })), { qos: 1, retain: opts.retain ?? false });
  }

  async dcmd(device: string, metrics: Array<{ name: string; type: string; value: unknown }>, opts: { retain?: boolean } = {}): Promise<void> {
    await this.dcmdRaw(device, Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics })), opts);
  }

  async dcmdRaw(device: string, payload: Buffer, opts: { retain?: boolean } = {}): Promise<void> {
    await this.client.publishAsync(`spBv1.0/${this.group}/DCMD/${this.edge}/${device}`, payload, { qos: 1, retain: opts.retain ?? false });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
