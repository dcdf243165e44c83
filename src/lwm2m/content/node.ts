// What content formats carry: resource values addressed by LwM2M paths, in a flat list.
import type { ResourceType } from '../model/object-model.js';

/** An LwM2M path as ids: [object], [object, instance], [o, i, resource] or [o, i, r, resource instance]. */
export type Lwm2mPath = readonly number[];

export interface ObjectLink {
  objectId: number;
  instanceId: number;
}

export type ResourceValue = string | number | boolean | Buffer | ObjectLink;

/** One value of a single resource (path length 3) or of a resource instance (path length 4). */
export interface Lwm2mRecord {
  path: Lwm2mPath;
  type: ResourceType;
  value: ResourceValue;
}

/** Instance id used when a payload (a Create) does not name one; 65535 is reserved by the TS. */
export const UNSPECIFIED_INSTANCE = 65535;

export class DecodeError extends Error {}

export const formatPath = (path: Lwm2mPath): string => (path.length === 0 ? '/' : '/' + path.join('/'));

/** Parses `/3/0/1`; undefined when a segment is not an id in 0..65535 or there are more than four. */
export function parsePath(text: string): Lwm2mPath | undefined {
  const trimmed = text.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return [];
  const parts = trimmed.split('/');
  if (parts.length > 4) return undefined;
  const ids: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) return undefined;
    ids.push(Number(p));
  }
  return ids;
}

export const startsWith = (path: Lwm2mPath, prefix: Lwm2mPath): boolean =>
  prefix.length <= path.length && prefix.every((id, i) => path[i] === id);

export const isObjectLink = (v: ResourceValue): v is ObjectLink =>
  typeof v === 'object' && !Buffer.isBuffer(v) && 'objectId' in v;

/** The type's canonical JS value from a loosely typed one; DecodeError when it does not fit. */
export function coerce(type: ResourceType, value: ResourceValue): ResourceValue {
  const bad = (): never => {
    throw new DecodeError(`a ${typeof value} value does not fit a ${type} resource`);
  };
  switch (type) {
    case 'String':
    case 'Corelnk':
      return typeof value === 'string' ? value : bad();
    case 'Integer':
    case 'Time':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : bad();
    case 'Unsigned Integer':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : bad();
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value) ? value : bad();
    case 'Boolean':
      return typeof value === 'boolean' ? value : bad();
    case 'Opaque':
      return Buffer.isBuffer(value) ? value : bad();
    case 'Objlnk':
      return isObjectLink(value) ? value : bad();
    case 'none':
      return bad();
  }
}
