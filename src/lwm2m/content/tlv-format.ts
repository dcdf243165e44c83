// OMA TLV (content format 11542), LwM2M TS Core section 7.4.3.
import type { ResourceType } from '../model/object-model.js';
import { DecodeError, type Lwm2mPath, type Lwm2mRecord, type ResourceValue, UNSPECIFIED_INSTANCE, isObjectLink } from './node.js';

export const TLV = 11542;

const enum Kind {
  ObjectInstance = 0,
  ResourceInstance = 1,
  MultipleResource = 2,
  Resource = 3,
}

function header(kind: Kind, id: number, length: number): Buffer {
  const wideId = id > 255;
  const lenBytes = length < 8 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : -1;
  if (lenBytes < 0) throw new Error('a TLV value is limited to 16 MiB');
  const out = Buffer.alloc(1 + (wideId ? 2 : 1) + lenBytes);
  out[0] = (kind << 6) | (wideId ? 0x20 : 0) | (lenBytes << 3) | (lenBytes === 0 ? length : 0);
  if (wideId) out.writeUInt16BE(id, 1);
  else out[1] = id;
  if (lenBytes > 0) out.writeUIntBE(length, 1 + (wideId ? 2 : 1), lenBytes);
  return out;
}

const tlv = (kind: Kind, id: number, value: Buffer): Buffer => Buffer.concat([header(kind, id, value.length), value]);

function intBytes(n: number, signed: boolean): Buffer {
  const big = BigInt(n);
  for (const size of [1, 2, 4]) {
    const bits = BigInt(size * 8);
    const fits = signed ? big >= -(1n << (bits - 1n)) && big < 1n << (bits - 1n) : big >= 0n && big < 1n << bits;
    if (fits) {
      const b = Buffer.alloc(size);
      if (signed) b.writeIntBE(n, 0, size);
      else b.writeUIntBE(n, 0, size);
      return b;
    }
  }
  const b = Buffer.alloc(8);
  if (signed) b.writeBigInt64BE(big);
  else b.writeBigUInt64BE(big);
  return b;
}

export function encodeTlvValue(type: ResourceType, value: ResourceValue): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'boolean') return Buffer.of(value ? 1 : 0);
  if (Buffer.isBuffer(value)) return value;
  if (isObjectLink(value)) {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(value.objectId, 0);
    b.writeUInt16BE(value.instanceId, 2);
    return b;
  }
  if (type === 'Float') {
    if (Math.fround(value) === value) {
      const b = Buffer.alloc(4);
      b.writeFloatBE(value);
      return b;
    }
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    return b;
  }
  return intBytes(value, type !== 'Unsigned Integer');
}

/** Encodes the records under `target` (an object, instance, resource or resource instance path). */
export function encodeTlv(target: Lwm2mPath, records: readonly Lwm2mRecord[]): Buffer {
  const depth = target.length;
  const resourceTlvs = (group: readonly Lwm2mRecord[]): Buffer[] => {
    const out: Buffer[] = [];
    const byResource = new Map<number, Lwm2mRecord[]>();
    for (const r of group) byResource.set(r.path[2]!, [...(byResource.get(r.path[2]!) ?? []), r]);
    for (const [rid, rs] of byResource) {
      if (rs[0]!.path.length === 3) out.push(tlv(Kind.Resource, rid, encodeTlvValue(rs[0]!.type, rs[0]!.value)));
      else out.push(tlv(Kind.MultipleResource, rid, Buffer.concat(rs.map((r) => tlv(Kind.ResourceInstance, r.path[3]!, encodeTlvValue(r.type, r.value))))));
    }
    return out;
  };
  if (depth === 4) return Buffer.concat(records.map((r) => tlv(Kind.ResourceInstance, r.path[3]!, encodeTlvValue(r.type, r.value))));
  if (depth === 3 || depth === 2) return Buffer.concat(resourceTlvs(records));
  if (depth === 1) {
    const byInstance = new Map<number, Lwm2mRecord[]>();
    for (const r of records) byInstance.set(r.path[1]!, [...(byInstance.get(r.path[1]!) ?? []), r]);
    return Buffer.concat([...byInstance].map(([iid, rs]) => tlv(Kind.ObjectInstance, iid, Buffer.concat(resourceTlvs(rs)))));
  }
  throw new Error('TLV needs an object, instance or resource path');
}

interface RawTlv {
  kind: Kind;
  id: number;
  value: Buffer;
}

function readTlvs(buf: Buffer): RawTlv[] {
  const out: RawTlv[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const t = buf[pos]!;
    const idLen = t & 0x20 ? 2 : 1;
    const lenBytes = (t >> 3) & 0x3;
    if (pos + 1 + idLen + lenBytes > buf.length) throw new DecodeError(`TLV header truncated at byte ${pos}`);
    const id = idLen === 2 ? buf.readUInt16BE(pos + 1) : buf[pos + 1]!;
    const length = lenBytes === 0 ? t & 0x7 : buf.readUIntBE(pos + 1 + idLen, lenBytes);
    const start = pos + 1 + idLen + lenBytes;
    if (start + length > buf.length) throw new DecodeError(`TLV value at byte ${pos} runs past the payload`);
    out.push({ kind: (t >> 6) as Kind, id, value: buf.subarray(start, start + length) });
    pos = start + length;
  }
  return out;
}

export function decodeTlvValue(type: ResourceType, v: Buffer): ResourceValue {
  const bad = (): never => {
    throw new DecodeError(`${v.length} bytes are not a TLV ${type}`);
  };
  switch (type) {
    case 'String':
    case 'Corelnk':
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(v);
      } catch {
        return bad();
      }
    case 'Integer':
    case 'Time':
    case 'Unsigned Integer': {
      if (![1, 2, 4, 8].includes(v.length)) return bad();
      const signed = type !== 'Unsigned Integer';
      const big = v.length === 8 ? (signed ? v.readBigInt64BE() : v.readBigUInt64BE()) : BigInt(signed ? v.readIntBE(0, v.length) : v.readUIntBE(0, v.length));
      if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) throw new DecodeError('integer beyond 2^53 is not supported');
      return Number(big);
    }
    case 'Float':
      return v.length === 4 ? v.readFloatBE() : v.length === 8 ? v.readDoubleBE() : bad();
    case 'Boolean':
      return v.length === 1 && v[0]! <= 1 ? v[0] === 1 : bad();
    case 'Objlnk':
      return v.length === 4 ? { objectId: v.readUInt16BE(0), instanceId: v.readUInt16BE(2) } : bad();
    case 'Opaque':
      return Buffer.from(v);
    case 'none':
      return bad();
  }
}

/** Type of a resource by path; undefined for a resource the model does not know (decoded as Opaque). */
export type TypeOf = (path: Lwm2mPath) => ResourceType | undefined;

/** Decodes a TLV payload written to `target`. A Create on an object may omit the instance wrapper. */
export function decodeTlv(target: Lwm2mPath, payload: Buffer, typeOf: TypeOf): Lwm2mRecord[] {
  if (target.length < 1 || target.length > 4) throw new DecodeError('TLV needs an object, instance or resource path');
  const records: Lwm2mRecord[] = [];
  const value = (path: Lwm2mPath, v: Buffer): void => {
    const type = typeOf(path) ?? 'Opaque';
    records.push({ path, type, value: decodeTlvValue(type, v) });
  };
  const resources = (oid: number, iid: number, tlvs: RawTlv[], only?: number): void => {
    for (const t of tlvs) {
      if (only !== undefined && t.id !== only) throw new DecodeError(`TLV for resource ${t.id} under /${oid}/${iid}/${only}`);
      if (t.kind === Kind.Resource) value([oid, iid, t.id], t.value);
      else if (t.kind === Kind.MultipleResource) {
        for (const ri of readTlvs(t.value)) {
          if (ri.kind !== Kind.ResourceInstance) throw new DecodeError('a multiple resource holds only resource instances');
          value([oid, iid, t.id, ri.id], ri.value);
        }
      } else throw new DecodeError(`unexpected TLV kind ${t.kind} at resource level`);
    }
  };
  const top = readTlvs(payload);
  const [oid, iid, rid, riid] = target as [number, number?, number?, number?];
  if (target.length === 1) {
    if (top.every((t) => t.kind === Kind.ObjectInstance)) for (const t of top) resources(oid, t.id, readTlvs(t.value));
    else resources(oid, UNSPECIFIED_INSTANCE, top);
  } else if (target.length === 2) {
    if (top.length === 1 && top[0]!.kind === Kind.ObjectInstance) {
      if (top[0]!.id !== iid) throw new DecodeError(`TLV names instance ${top[0]!.id}, the request /${oid}/${iid}`);
      resources(oid, iid!, readTlvs(top[0]!.value));
    } else resources(oid, iid!, top);
  } else if (target.length === 3) {
    if (top.every((t) => t.kind === Kind.ResourceInstance)) for (const t of top) value([oid, iid!, rid!, t.id], t.value);
    else resources(oid, iid!, top, rid);
  } else {
    if (top.length !== 1 || top[0]!.kind !== Kind.ResourceInstance || top[0]!.id !== riid) throw new DecodeError('expected one resource instance TLV');
    value([oid, iid!, rid!, riid!], top[0]!.value);
  }
  return records;
}
