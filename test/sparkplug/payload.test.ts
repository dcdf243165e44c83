// Our Sparkplug B bytes read by an independent decoder: Eclipse Tahu's sparkplug-payload (npm, with its
// own protobufjs and its own copy of the schema); and Tahu's bytes read by ours.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload, MAX_INBOUND_METRICS, type OutMetric } from '../../src/sparkplug/payload.js';

const require = createRequire(import.meta.url);
type TahuMetric = { name?: string; type: string; value: unknown; timestamp?: unknown };
type TahuPayload = { timestamp?: unknown; seq?: unknown; metrics?: TahuMetric[] };
const tahu = (require('sparkplug-payload') as { get(ns: string): { decodePayload(b: Uint8Array): TahuPayload; encodePayload(p: object): Uint8Array } }).get('spBv1.0')!;
// Tahu's generated message classes: the raw fields, whatever its decoder then makes of them.
const tahuProto = require('sparkplug-payload/lib/sparkplugPayloadProto.js') as {
  org: { eclipse: { tahu: { protobuf: { Payload: { decode(b: Uint8Array): { metrics: Array<Record<string, unknown>> } } } } } };
};
const num = (v: unknown): number => (typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v));

const T = 1_764_000_000_123;
const metric = (name: string, type: OutMetric['type'], value: OutMetric['value']): OutMetric => ({ name, type, value, timestamp: T });

describe('Sparkplug B payload encoding', () => {
  it('Tahu decodes an NBIRTH-like payload: timestamp, seq, names, datatypes and values', () => {
    const bytes = encodePayload({
      timestamp: T,
      seq: 0,
      metrics: [
        metric('bdSeq', 'Int64', 7),
        metric('Node Control/Rebirth', 'Boolean', false),
        metric('Properties/Version', 'String', '0.1.0'),
        metric('Agent/Devices', 'UInt64', 10_000_000_000),
        metric('CPU Percent', 'Float', 12.5),
        metric('Last Exit Code', 'Int32', -3),
        metric('Version', 'String', null),
      ],
    });
    const decoded = tahu.decodePayload(bytes);
    expect(num(decoded.timestamp)).toBe(T);
    expect(num(decoded.seq)).toBe(0);
    const byName = new Map(decoded.metrics!.map((m) => [m.name, m]));
    expect(byName.get('bdSeq')).toMatchObject({ type: 'Int64' });
    expect(num(byName.get('bdSeq')!.value)).toBe(7);
    expect(byName.get('Node Control/Rebirth')).toMatchObject({ type: 'Boolean', value: false });
    expect(byName.get('Properties/Version')).toMatchObject({ type: 'String', value: '0.1.0' });
    expect(num(byName.get('Agent/Devices')!.value)).toBe(10_000_000_000);
    expect(byName.get('CPU Percent')).toMatchObject({ type: 'Float', value: 12.5 });
    expect(byName.get('Last Exit Code')).toMatchObject({ type: 'Int32', value: -3 });
    expect(byName.get('Version')).toMatchObject({ type: 'String', value: null });
    expect(num(byName.get('bdSeq')!.timestamp)).toBe(T);
  });

  it('a negative Int64 is its two complement in long_value', () => {
    const decoded = tahu.decodePayload(encodePayload({ timestamp: T, metrics: [metric('x', 'Int64', -2)] }));
    // Tahu signs an Int64 only when the value is an instance of its own copy of `long`; read the bits signed.
    const bits = decoded.metrics![0].value as { toSigned(): { toNumber(): number } };
    expect(bits.toSigned().toNumber()).toBe(-2);
  });

  it('UInt32 goes in int_value (uint32), as the specification maps it', () => {
    // sparkplug-payload 1.0.3's decoder reads a UInt32 from long_value only (an older Tahu convention), so
    // the raw field is read through Tahu's own generated message class.
    const bytes = encodePayload({ timestamp: T, metrics: [metric('Restarts', 'UInt32', 4_000_000_000)] });
    const raw = tahuProto.org.eclipse.tahu.protobuf.Payload.decode(bytes).metrics[0];
    expect(raw.datatype).toBe(7);
    expect(raw.intValue).toBe(4_000_000_000);
    expect(decodePayload(bytes).metrics[0].value).toBe(4_000_000_000);
  });

  it('an NDEATH carries no seq', () => {
    const decoded = tahu.decodePayload(encodePayload({ timestamp: T, metrics: [metric('bdSeq', 'Int64', 3)] }));
    expect(decoded.seq).toBeUndefined();
  });

  it('DATA metrics may leave the datatype out', () => {
    const bytes = encodePayload({ timestamp: T, seq: 5, metrics: [{ ...metric('Status', 'String', 'RUNNING'), withType: false }] });
    const raw = tahuProto.org.eclipse.tahu.protobuf.Payload.decode(bytes).metrics[0];
    expect(Object.prototype.hasOwnProperty.call(raw, 'datatype')).toBe(false);
    expect(raw.stringValue).toBe('RUNNING');
  });
});

describe('Sparkplug B payload decoding', () => {
  it('reads a DCMD that Tahu encoded', () => {
    const bytes = tahu.encodePayload({ timestamp: T, metrics: [{ name: 'Device Control/Restart', type: 'Boolean', value: true }] });
    const p = decodePayload(bytes);
    expect(p.timestamp).toBe(T);
    expect(p.metrics).toEqual([{ name: 'Device Control/Restart', alias: undefined, datatype: 11, value: true }]);
  });

  it('reads Tahu Int8/Int32 negatives, UInt64 and Int64 values', () => {
    const bytes = tahu.encodePayload({
      timestamp: T,
      seq: 200,
      metrics: [
        { name: 'a', type: 'Int8', value: -1 },
        { name: 'b', type: 'Int32', value: -100_000 },
        { name: 'c', type: 'UInt64', value: 123_456_789_012 },
        { name: 'd', type: 'Int64', value: -42 },
        { name: 'e', type: 'Double', value: 0.25 },
        { name: 'f', type: 'String', value: null },
      ],
    });
    const p = decodePayload(bytes);
    expect(p.seq).toBe(200);
    expect(p.metrics.map((m) => m.value)).toEqual([-1, -100_000, 123_456_789_012, -42, 0.25, null]);
  });

  it('throws on bytes that are not a payload', () => {
    expect(() => decodePayload(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toThrow();
  });

  it('refuses a payload with more metrics than a command needs', () => {
    const many = Array.from({ length: MAX_INBOUND_METRICS + 1 }, (_, i) => ({ name: `m${i}`, type: 'Boolean', value: true }));
    expect(() => decodePayload(tahu.encodePayload({ timestamp: T, metrics: many }))).toThrow(/metrics in one payload/);
  });
});
