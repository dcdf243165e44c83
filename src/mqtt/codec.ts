// Payload codecs chosen by the MQTT 5 content type: JSON by default, CBOR (cbor-x) when asked.
import { requireCommonJs } from '../commonjs.js';
import { PROTOBUF, protobufCodec } from './protobuf-codec.js';

type CborX = { decode(b: Buffer): unknown; encode(v: unknown): Buffer };
let cborX: CborX | undefined;
// cbor-x costs ~7 MB resident; most gateways only ever see JSON, so it loads on the first CBOR message.
const cborLib = (): CborX => (cborX ??= requireCommonJs('cbor-x') as CborX);

export const CBOR = 'application/cbor';
export const JSON_TYPE = 'application/json';

export type Codec = { contentType: string; decode(payload: Buffer): unknown; encode(value: unknown): Buffer };

const json: Codec = {
  contentType: JSON_TYPE,
  decode: (payload) => (payload.length === 0 ? {} : JSON.parse(payload.toString('utf8'))),
  encode: (value) => Buffer.from(JSON.stringify(value)),
};

const cbor: Codec = {
  contentType: CBOR,
  decode: (payload) => (payload.length === 0 ? {} : cborLib().decode(payload)),
  encode: (value) => Buffer.from(cborLib().encode(value)),
};

export function codecFor(contentType: string | undefined): Codec | undefined {
  if (!contentType || contentType === JSON_TYPE || contentType.startsWith('application/json;')) return json;
  if (contentType === CBOR) return cbor;
  if (contentType === PROTOBUF) return protobufCodec;
  return undefined;
}

export const jsonCodec = json;
