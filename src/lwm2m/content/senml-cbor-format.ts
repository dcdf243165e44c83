// SenML CBOR (content format 112) with cbor-x; labels are RFC 8428's integer keys.
import { Decoder, Encoder } from 'cbor-x';
import { DecodeError, type Lwm2mPath, type Lwm2mRecord } from './node.js';
import { fromSenml, toSenml, type SenmlRecord } from './senml-records.js';
import type { TypeOf } from './tlv-format.js';

export const SENML_CBOR = 112;

const LABELS: Array<[keyof SenmlRecord, number | string]> = [
  ['bn', -2],
  ['bt', -3],
  ['n', 0],
  ['v', 2],
  ['vs', 3],
  ['vb', 4],
  ['t', 6],
  ['vd', 8],
  ['vlo', 'vlo'],
];
const BY_KEY = new Map<string, keyof SenmlRecord>(LABELS.map(([name, key]) => [String(key), name]));

// Plain CBOR only: no cbor-x records extension, no structure sharing, byte strings untagged, and maps
// without tag 259 (cbor-x reads `useTag259ForMaps`; its .d.ts does not list it, hence the widened type).
const encoderOptions: ConstructorParameters<typeof Encoder>[0] & { useTag259ForMaps: boolean } = {
  useRecords: false,
  structuredClone: false,
  tagUint8Array: false,
  variableMapSize: true,
  useTag259ForMaps: false,
};
const encoder = new Encoder(encoderOptions);
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

export function encodeSenmlCbor(target: Lwm2mPath, records: readonly Lwm2mRecord[]): Buffer {
  const maps = toSenml(target, records).map((r) => {
    const m = new Map<number | string, unknown>();
    for (const [name, key] of LABELS) if (r[name] !== undefined) m.set(key, r[name]);
    return m;
  });
  return encoder.encode(maps);
}

const TYPES: Record<string, string> = { bn: 'string', bt: 'number', n: 'string', v: 'number', vs: 'string', vb: 'boolean', t: 'number', vlo: 'string' };

export function decodeSenmlCbor(target: Lwm2mPath, payload: Buffer, typeOf: TypeOf): Lwm2mRecord[] {
  let parsed: unknown;
  try {
    parsed = decoder.decode(payload);
  } catch (err) {
    throw new DecodeError(`SenML CBOR payload does not decode: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new DecodeError('SenML CBOR must be an array of maps');
  const recs = parsed.map((raw): SenmlRecord => {
    if (!(raw instanceof Map)) throw new DecodeError('a SenML CBOR record must be a map');
    const rec: Record<string, unknown> = {};
    for (const [k, v] of raw as Map<unknown, unknown>) {
      const name = BY_KEY.get(String(k));
      if (!name) continue;
      if (name === 'vd') {
        if (!(v instanceof Uint8Array)) throw new DecodeError('SenML vd must be a byte string');
        rec.vd = Buffer.from(v);
      } else if (typeof v !== TYPES[name]) throw new DecodeError(`SenML label ${name} must be a ${TYPES[name]}`);
      else rec[name] = v;
    }
    return rec as SenmlRecord;
  });
  return fromSenml(target, recs, typeOf);
}
