// The one map from content-format number to its codec; the front picks a codec here and nowhere else.
import { DecodeError, type Lwm2mPath, type Lwm2mRecord } from './node.js';
import { OPAQUE, decodeOpaque, encodeOpaque } from './opaque-format.js';
import { SENML_CBOR, decodeSenmlCbor, encodeSenmlCbor } from './senml-cbor-format.js';
import { SENML_JSON, decodeSenmlJson, encodeSenmlJson } from './senml-json-format.js';
import { TEXT, decodeText, encodeText } from './text-format.js';
import { TLV, decodeTlv, encodeTlv, type TypeOf } from './tlv-format.js';

export { LINK_FORMAT } from './link-format.js';

export interface ContentCodec {
  readonly format: number;
  /** Whether it can carry several values (an object, an instance, a multiple resource). */
  readonly multiValue: boolean;
  encode(target: Lwm2mPath, records: readonly Lwm2mRecord[]): Buffer;
  decode(target: Lwm2mPath, payload: Buffer, typeOf: TypeOf): Lwm2mRecord[];
}

function single(target: Lwm2mPath, typeOf: TypeOf): NonNullable<ReturnType<TypeOf>> {
  const type = target.length >= 3 ? typeOf(target) : undefined;
  if (!type) throw new DecodeError('this format carries one value of a known resource');
  return type;
}

export const codecs: ReadonlyMap<number, ContentCodec> = new Map<number, ContentCodec>([
  [TEXT, { format: TEXT, multiValue: false, encode: (_t, r) => encodeText(r), decode: (t, p, typeOf) => decodeText(t, single(t, typeOf), p) }],
  [OPAQUE, { format: OPAQUE, multiValue: false, encode: (_t, r) => encodeOpaque(r), decode: (t, p, typeOf) => decodeOpaque(t, single(t, typeOf), p) }],
  [TLV, { format: TLV, multiValue: true, encode: encodeTlv, decode: decodeTlv }],
  [SENML_JSON, { format: SENML_JSON, multiValue: true, encode: encodeSenmlJson, decode: decodeSenmlJson }],
  [SENML_CBOR, { format: SENML_CBOR, multiValue: true, encode: encodeSenmlCbor, decode: decodeSenmlCbor }],
]);

/** Media type names as the `coap` package reports Accept and Content-Format options. */
const BY_NAME = new Map<string, number>([
  ['text/plain', TEXT],
  ['application/link-format', 40],
  ['application/octet-stream', OPAQUE],
  ['application/json', 50],
  ['application/cbor', 60],
  ['application/senml+json', SENML_JSON],
  ['application/senml+cbor', SENML_CBOR],
  ['application/vnd.oma.lwm2m+tlv', TLV],
  ['application/vnd.oma.lwm2m+json', 11543],
  ['application/vnd.oma.lwm2m+cbor', 11544],
]);

/** An Accept or Content-Format option value (name, number or raw bytes) as a number; -1 when unknown. */
export function formatNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return BY_NAME.get(value.split(';')[0]!.trim()) ?? -1;
  if (Buffer.isBuffer(value)) return value.length <= 2 ? (value.length === 0 ? 0 : value.readUIntBE(0, value.length)) : -1;
  return -1;
}
