// Sparkplug B payloads (proto/sparkplug_b.proto) with our protobufjs, loaded at the first message: a
// gateway without `sparkplug.url` never pays for it. A metric's value field follows its datatype
// (specification 6.4.16): small integers in int_value (signed ones as two's complement), 64-bit ones in
// long_value, Float, Double, Boolean and the strings in their own fields, `is_null` for a null.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireCommonJs } from '../commonjs.js';

/** The datatypes this edge node sends or accepts (their numbers are the specification's). */
export const DataType = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
} as const;
export type DataTypeName = keyof typeof DataType;

export type MetricValue = number | boolean | string | null;

/** A metric as we publish it: names always (no aliases), the datatype on births only. */
export interface OutMetric {
  name: string;
  type: DataTypeName;
  value: MetricValue;
  /** Omitted in DATA messages when `withType` is false (payloads-metric-datatype-not-req). */
  withType?: boolean;
  timestamp: number;
}

export interface OutPayload {
  timestamp: number;
  /** Absent on NDEATH only. */
  seq?: number;
  metrics: OutMetric[];
}

/** A metric as a host sent it: any field may be missing. */
export interface InMetric {
  name?: string;
  alias?: number;
  datatype?: number;
  value: MetricValue | undefined;
}

export interface InPayload {
  timestamp?: number;
  seq?: number;
  metrics: InMetric[];
}

/** A command carries a few metrics; more is not a host talking to us. */
export const MAX_INBOUND_METRICS = 256;

const PROTO = join(fileURLToPath(new URL('../..', import.meta.url)), 'proto/sparkplug_b.proto');

interface LongLike {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
}
type Wire = number | LongLike;
interface WireMetric {
  name?: string;
  alias?: Wire;
  timestamp?: Wire;
  datatype?: number;
  isNull?: boolean;
  intValue?: number;
  longValue?: Wire;
  floatValue?: number;
  doubleValue?: number;
  booleanValue?: boolean;
  stringValue?: string;
}
interface WirePayload {
  timestamp?: Wire;
  seq?: Wire;
  metrics?: WireMetric[];
}
interface MessageType {
  decode(b: Uint8Array): object;
  encode(m: object): { finish(): Uint8Array };
  fromObject(o: object): object;
  toObject(m: object, options?: object): object;
}
type ProtobufJs = { loadSync(path: string): { lookupType(name: string): MessageType } };

let payloadType: MessageType | undefined;
function load(): MessageType {
  payloadType ??= (requireCommonJs('protobufjs') as ProtobufJs).loadSync(PROTO).lookupType('org.eclipse.tahu.protobuf.Payload');
  return payloadType;
}

const SMALL_INTS = new Set<number>([DataType.Int8, DataType.Int16, DataType.Int32, DataType.UInt8, DataType.UInt16, DataType.UInt32]);
const SIGNED_SMALL = new Set<number>([DataType.Int8, DataType.Int16, DataType.Int32]);
const LONGS = new Set<number>([DataType.Int64, DataType.UInt64, DataType.DateTime]);
const STRINGS = new Set<number>([DataType.String, DataType.Text, DataType.UUID]);

function valueFields(type: number, value: Exclude<MetricValue, null>): Partial<WireMetric> {
  if (SMALL_INTS.has(type)) return { intValue: Number(value) >>> 0 };
  if (LONGS.has(type)) return { longValue: uint64Bits(Number(value)) };
  if (type === DataType.Float) return { floatValue: Number(value) };
  if (type === DataType.Double) return { doubleValue: Number(value) };
  if (type === DataType.Boolean) return { booleanValue: Boolean(value) };
  if (STRINGS.has(type)) return { stringValue: String(value) };
  throw new Error(`datatype ${type} is not one this edge node sends`);
}

/** An integer as the 64 bits of a uint64 field: a negative one as its two's complement (Int64). */
function uint64Bits(n: number): LongLike {
  const bits = BigInt.asUintN(64, BigInt(Math.trunc(n)));
  const low = Number(bits & 0xffffffffn) | 0;
  const high = Number(bits >> 32n) | 0;
  return { low, high, unsigned: true, toNumber: () => Number(bits) };
}

export function encodePayload(p: OutPayload): Buffer {
  const type = load();
  const metrics = p.metrics.map((m) => {
    const datatype = DataType[m.type];
    const wire: WireMetric = { name: m.name, timestamp: m.timestamp };
    if (m.withType !== false) wire.datatype = datatype;
    if (m.value === null) wire.isNull = true;
    else Object.assign(wire, valueFields(datatype, m.value));
    return wire;
  });
  const message: WirePayload = { timestamp: p.timestamp, metrics };
  if (p.seq !== undefined) message.seq = p.seq;
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

const toNumber = (w: Wire | undefined, signed = false): number | undefined => {
  if (w === undefined || w === null) return undefined;
  if (typeof w === 'number') return w;
  if (signed && w.unsigned) return (w.high | 0) * 2 ** 32 + (w.low >>> 0);
  return w.toNumber();
};

function valueOf(m: WireMetric): MetricValue | undefined {
  if (m.isNull) return null;
  const t = m.datatype;
  if (t === undefined) {
    // A command may leave the datatype out (payloads-metric-datatype-not-req): take whichever field is set.
    return m.booleanValue ?? m.stringValue ?? m.intValue ?? m.floatValue ?? m.doubleValue ?? toNumber(m.longValue);
  }
  if (SMALL_INTS.has(t)) {
    // A UInt32 in long_value is what older Tahu libraries send; accepted, never sent.
    const raw = m.intValue ?? toNumber(m.longValue);
    if (raw === undefined) return undefined;
    return SIGNED_SMALL.has(t) ? raw | 0 : raw >>> 0;
  }
  if (LONGS.has(t)) return toNumber(m.longValue, t === DataType.Int64);
  if (t === DataType.Float) return m.floatValue;
  if (t === DataType.Double) return m.doubleValue;
  if (t === DataType.Boolean) return m.booleanValue;
  if (STRINGS.has(t)) return m.stringValue;
  return undefined;
}

/** Throws on bytes that are not a Sparkplug B payload, or on too many metrics. */
export function decodePayload(bytes: Uint8Array): InPayload {
  const type = load();
  const wire = type.toObject(type.decode(bytes), { defaults: false }) as WirePayload;
  const metrics = wire.metrics ?? [];
  if (metrics.length > MAX_INBOUND_METRICS) throw new Error(`${metrics.length} metrics in one payload (at most ${MAX_INBOUND_METRICS})`);
  return {
    timestamp: toNumber(wire.timestamp),
    seq: toNumber(wire.seq),
    metrics: metrics.map((m) => ({
      name: m.name,
      alias: toNumber(m.alias),
      datatype: m.datatype,
      value: valueOf(m),
    })),
  };
}
