// SenML JSON (content format 110).
import { DecodeError, type Lwm2mPath, type Lwm2mRecord } from './node.js';
import { fromSenml, toSenml, type SenmlRecord } from './senml-records.js';
import type { TypeOf } from './tlv-format.js';

export const SENML_JSON = 110;

export function encodeSenmlJson(target: Lwm2mPath, records: readonly Lwm2mRecord[]): Buffer {
  const recs = toSenml(target, records).map((r) => (r.vd ? { ...r, vd: r.vd.toString('base64url') } : r));
  return Buffer.from(JSON.stringify(recs), 'utf8');
}

const FIELDS: Record<string, string> = { bn: 'string', bt: 'number', n: 'string', v: 'number', vs: 'string', vb: 'boolean', vd: 'string', vlo: 'string', t: 'number' };

export function decodeSenmlJson(target: Lwm2mPath, payload: Buffer, typeOf: TypeOf): Lwm2mRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new DecodeError('SenML JSON payload is not JSON');
  }
  if (!Array.isArray(parsed)) throw new DecodeError('SenML JSON must be an array of records');
  const recs = parsed.map((raw): SenmlRecord => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DecodeError('a SenML record must be an object');
    const rec: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const want = FIELDS[k];
      if (!want) continue; // unknown labels are ignored (RFC 8428 4.4) unless they end in '_'
      if (typeof v !== want) throw new DecodeError(`SenML label ${k} must be a ${want}`);
      rec[k] = k === 'vd' ? Buffer.from(v as string, 'base64url') : v;
    }
    if (Object.keys(raw as object).some((k) => k.endsWith('_'))) throw new DecodeError('SenML record has a must-understand label');
    return rec as SenmlRecord;
  });
  return fromSenml(target, recs, typeOf);
}
