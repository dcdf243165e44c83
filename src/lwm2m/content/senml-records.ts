// SenML (RFC 8428) records as LwM2M uses them (TS Core 7.4.4/7.4.5), shared by the JSON and CBOR formats.
import type { ResourceType } from '../model/object-model.js';
import { DecodeError, type Lwm2mPath, type Lwm2mRecord, type ResourceValue, coerce, formatPath, isObjectLink, parsePath } from './node.js';
import type { TypeOf } from './tlv-format.js';

/** One SenML record with JSON labels; `vd` holds bytes (base64url in JSON, a byte string in CBOR). */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  n?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
  vd?: Buffer;
  vlo?: string;
  t?: number;
}

export function toSenml(target: Lwm2mPath, records: readonly Lwm2mRecord[]): SenmlRecord[] {
  const base = formatPath(target);
  const single = records.length === 1 && records[0]!.path.length === target.length;
  return records.map((r, i) => {
    const out: SenmlRecord = {};
    if (i === 0) out.bn = single ? base : base === '/' ? '/' : `${base}/`;
    if (!single) out.n = r.path.slice(target.length).join('/');
    const v = r.value;
    if (typeof v === 'string') out.vs = v;
    else if (typeof v === 'number') out.v = v;
    else if (typeof v === 'boolean') out.vb = v;
    else if (Buffer.isBuffer(v)) out.vd = v;
    else if (isObjectLink(v)) out.vlo = `${v.objectId}:${v.instanceId}`;
    return out;
  });
}

function valueOf(rec: SenmlRecord): ResourceValue | undefined {
  const present = (['v', 'vs', 'vb', 'vd', 'vlo'] as const).filter((k) => rec[k] !== undefined);
  if (present.length > 1) throw new DecodeError('a SenML record holds more than one value');
  if (rec.v !== undefined) return rec.v;
  if (rec.vs !== undefined) return rec.vs;
  if (rec.vb !== undefined) return rec.vb;
  if (rec.vd !== undefined) return rec.vd;
  if (rec.vlo !== undefined) {
    const m = /^(\d{1,5}):(\d{1,5})$/.exec(rec.vlo);
    if (!m) throw new DecodeError(`bad object link ${JSON.stringify(rec.vlo)}`);
    return { objectId: Number(m[1]), instanceId: Number(m[2]) };
  }
  return undefined;
}

/** Resolves names (bn + n) to paths under `target` and converts values to the model's types. */
export function fromSenml(target: Lwm2mPath, recs: readonly SenmlRecord[], typeOf: TypeOf): Lwm2mRecord[] {
  let bn = '';
  const out: Lwm2mRecord[] = [];
  for (const rec of recs) {
    if (rec.bn !== undefined) bn = rec.bn;
    const name = bn + (rec.n ?? '');
    const path = parsePath(name);
    if (!path || !name.startsWith('/')) throw new DecodeError(`bad SenML name ${JSON.stringify(name)}`);
    if (path.length < 3 || !target.every((id, i) => path[i] === id)) throw new DecodeError(`SenML name ${name} is not a resource under ${formatPath(target)}`);
    const value = valueOf(rec);
    if (value === undefined) throw new DecodeError(`SenML record ${name} has no value`);
    // A resource the model does not know keeps the type its value carries; the handler refuses it later.
    const type: ResourceType = typeOf(path) ?? kindOf(value);
    // A JSON number 3.0 arrives as 3: fine for every numeric type; an integer type refuses 3.5.
    out.push({ path, type, value: coerce(type, value) });
  }
  return out;
}

function kindOf(value: ResourceValue): ResourceType {
  if (typeof value === 'number') return 'Float';
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Boolean';
  return Buffer.isBuffer(value) ? 'Opaque' : 'Objlnk';
}
