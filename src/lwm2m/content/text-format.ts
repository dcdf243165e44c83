// text/plain (content format 0): one resource value as text.
import type { ResourceType } from '../model/object-model.js';
import { DecodeError, type Lwm2mRecord, isObjectLink, type Lwm2mPath, type ResourceValue } from './node.js';

export const TEXT = 0;

export function encodeText(records: readonly Lwm2mRecord[]): Buffer {
  if (records.length !== 1) throw new Error('text/plain carries exactly one value');
  const { value, type } = records[0]!;
  if (type === 'Opaque') throw new Error('an Opaque value has no text/plain form in LwM2M 1.1');
  if (typeof value === 'boolean') return Buffer.from(value ? '1' : '0');
  if (isObjectLink(value)) return Buffer.from(`${value.objectId}:${value.instanceId}`);
  return Buffer.from(String(value), 'utf8');
}

const INTEGER = /^[+-]?\d{1,19}$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function decodeTextValue(type: ResourceType, text: string): ResourceValue {
  const bad = (): never => {
    throw new DecodeError(`${JSON.stringify(text.slice(0, 40))} is not a ${type}`);
  };
  switch (type) {
    case 'String':
    case 'Corelnk':
      return text;
    case 'Integer':
    case 'Time':
    case 'Unsigned Integer': {
      if (!INTEGER.test(text)) return bad();
      const n = Number(text);
      if (!Number.isSafeInteger(n) || (type === 'Unsigned Integer' && n < 0)) return bad();
      return n;
    }
    case 'Float':
      return FLOAT.test(text) && Number.isFinite(Number(text)) ? Number(text) : bad();
    case 'Boolean':
      return text === '1' ? true : text === '0' ? false : bad();
    case 'Objlnk': {
      const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
      if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535) return bad();
      return { objectId: Number(m[1]), instanceId: Number(m[2]) };
    }
    case 'Opaque':
    case 'none':
      return bad();
  }
}

export function decodeText(path: Lwm2mPath, type: ResourceType, payload: Buffer): Lwm2mRecord[] {
  const text = new TextDecoder('utf-8', { fatal: true });
  let s: string;
  try {
    s = text.decode(payload);
  } catch {
    throw new DecodeError('text/plain payload is not UTF-8');
  }
  return [{ path, type, value: decodeTextValue(type, s) }];
}
