// application/x-protobuf: proto/sma.proto's Request and Reply, with the JSON bodies carried as Struct/Value.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireCommonJs } from '../commonjs.js';
import type { Codec } from './codec.js';

export const PROTOBUF = 'application/x-protobuf';
const PROTO = join(fileURLToPath(new URL('../..', import.meta.url)), 'proto/sma.proto');

interface MessageType {
  decode(b: Uint8Array): object;
  encode(m: object): { finish(): Uint8Array };
  fromObject(o: object): object;
  toObject(m: object, options?: object): Record<string, unknown>;
}
type ProtobufJs = { loadSync(path: string): { lookupType(name: string): MessageType } };

let types: { request: MessageType; reply: MessageType } | undefined;
// protobufjs loads on the first protobuf message: most gateways never see one.
function load(): { request: MessageType; reply: MessageType } {
  if (!types) {
    const root = (requireCommonJs('protobufjs') as ProtobufJs).loadSync(PROTO);
    types = { request: root.lookupType('sma.v1.Request'), reply: root.lookupType('sma.v1.Reply') };
  }
  return types;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type PbValue = { nullValue?: 0; numberValue?: number; stringValue?: string; boolValue?: boolean; structValue?: PbStruct; listValue?: { values: PbValue[] } };
type PbStruct = { fields: Record<string, PbValue> };

export function toValue(v: unknown): PbValue {
  if (v === null || v === undefined) return { nullValue: 0 };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  if (typeof v === 'object') return { structValue: toStruct(v as Record<string, unknown>) };
  return { stringValue: String(v) };
}

export function toStruct(o: Record<string, unknown>): PbStruct {
  return { fields: Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toValue(v)])) };
}

export function fromValue(v: PbValue | undefined): Json {
  if (!v) return null;
  if (v.structValue) return fromStruct(v.structValue);
  if (v.listValue) return (v.listValue.values ?? []).map(fromValue);
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return null;
}

export function fromStruct(s: PbStruct | undefined): { [k: string]: Json } {
  return Object.fromEntries(Object.entries(s?.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

const oneofs = { oneofs: true, defaults: false };

export const protobufCodec: Codec = {
  contentType: PROTOBUF,
  decode(payload) {
    const { request } = load();
    const m = request.toObject(request.decode(payload), oneofs) as { correlationId?: string; replyTo?: string; body?: PbStruct };
    const body: Record<string, unknown> = fromStruct(m.body);
    if (m.correlationId) body.correlationId = m.correlationId;
    if (m.replyTo) body.replyTo = m.replyTo;
    return body;
  },
  encode(value) {
    const { reply } = load();
    const r = value as { correlationId?: string | null; ok: boolean; result?: unknown; error?: { code: string; message: string } };
    const message = reply.fromObject({
      correlationId: r.correlationId ?? '',
      ok: r.ok,
      result: r.ok ? toValue(r.result) : undefined,
      error: r.error,
    });
    return Buffer.from(reply.encode(message).finish());
  },
};

/** Decodes a Reply (for clients and tests). */
export function decodeReply(payload: Uint8Array): { correlationId: string; ok: boolean; result: Json; error?: { code: string; message: string } } {
  const { reply } = load();
  const m = reply.toObject(reply.decode(payload), oneofs) as { correlationId?: string; ok?: boolean; result?: PbValue; error?: { code: string; message: string } };
  return { correlationId: m.correlationId ?? '', ok: m.ok ?? false, result: fromValue(m.result), error: m.error };
}
