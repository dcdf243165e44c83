// application/octet-stream (content format 42): one Opaque resource value, raw.
import type { ResourceType } from '../model/object-model.js';
import { DecodeError, type Lwm2mPath, type Lwm2mRecord } from './node.js';

export const OPAQUE = 42;

export function encodeOpaque(records: readonly Lwm2mRecord[]): Buffer {
  const only = records[0];
  if (records.length !== 1 || !only || !Buffer.isBuffer(only.value)) throw new Error('opaque carries exactly one Opaque value');
  return only.value;
}

export function decodeOpaque(path: Lwm2mPath, type: ResourceType, payload: Buffer): Lwm2mRecord[] {
  if (type !== 'Opaque') throw new DecodeError(`an opaque payload cannot be written to a ${type} resource`);
  return [{ path, type, value: Buffer.from(payload) }];
}
