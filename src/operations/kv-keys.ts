// EdgeX's KV key layout as pure functions: `{root}/{service}/{path...}` names a leaf of that service's
// configuration (root `edgex/v4` in EdgeX 4); a nested config object flattens to one key per leaf.
import { isPlainObject, SERVICE_NAME, type ServiceConfig } from '../model.js';

/** A leaf of a nested object: its path of keys and its value (never a plain object). */
export type Leaf = [path: string[], value: unknown];

/**
 * `/`-separated segments; a `.` or `..` segment is refused (it would read as a path step to some clients), and
 * so is a segment naming an object's machinery (`__proto__`, `constructor`, `prototype`): a key's segments
 * become the keys of a service's configuration object.
 */
export const KEY_PATTERN = /^(?!(?:[^/]*\/)*(?:\.\.?|__proto__|constructor|prototype)(?:\/|$))[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

/** Whether `key` is a KV key: the syntax above, at most 1 024 characters (as the operations' schemas say). */
export const isKvKey = (key: string): boolean => key.length <= 1024 && KEY_PATTERN.test(key);

/** Every leaf of `obj`, depth first, in key order; an empty object counts as no leaf. Iterative: `obj` may be a client's. */
export function leaves(obj: ServiceConfig): Leaf[] {
  const out: Leaf[] = [];
  const pending: Array<[path: string[], value: unknown]> = Object.entries(obj).reverse().map(([k, v]) => [[k], v]);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [path, v] = next;
    if (!isPlainObject(v)) out.push([path, v]);
    else for (const [k, inner] of Object.entries(v).reverse()) pending.push([[...path, k], inner]);
  }
  return out;
}

/**
 * Why a configuration cannot be stored, or undefined: each leaf's path is a KV key below the service
 * (`{root}/{service}/{path}`), read by EdgeX clients and published as a topic, so it follows the key syntax.
 */
export function configPathRefusal(config: ServiceConfig): string | undefined {
  const bad = leaves(config).find(([path]) => !KEY_PATTERN.test(path.join('/')));
  return bad && `configuration key ${JSON.stringify(bad[0].join('.').slice(0, 128))}: each key is letters, digits and ._~-`;
}

/** The nested object with one leaf (used as a config.set patch; `null` removes the leaf). */
export function nest(path: string[], value: unknown): ServiceConfig {
  let out: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i]]: out };
  return out as ServiceConfig;
}

/** The service a key belongs to, and the path within its configuration; undefined for any other key. */
export function serviceOfKey(root: string, key: string): { name: string; path: string[] } | undefined {
  if (!key.startsWith(root + '/')) return undefined;
  const [name, ...path] = key.slice(root.length + 1).split('/');
  if (!SERVICE_NAME.test(name)) return undefined;
  return { name, path };
}

export const keyOf = (root: string, name: string, path: string[]): string => [root, name, ...path].join('/');

/** Whether `key` is `prefix` itself or lies below it. */
export const underKey = (key: string, prefix: string): boolean => key === prefix || key.startsWith(prefix + '/');

/** Leaves that differ between two configs: changed or added (with the new value) and removed (value undefined). */
export function changedLeaves(before: ServiceConfig, after: ServiceConfig): Array<[string[], unknown]> {
  const old = new Map(leaves(before).map(([p, v]) => [p.join('/'), [p, v] as Leaf]));
  const out: Array<[string[], unknown]> = [];
  for (const [p, v] of leaves(after)) {
    const k = p.join('/');
    const was = old.get(k);
    old.delete(k);
    if (!was || JSON.stringify(was[1]) !== JSON.stringify(v)) out.push([p, v]);
  }
  for (const [p] of old.values()) out.push([p, undefined]);
  return out;
}

/** A value as Keeper's text: strings as they are, anything else as its JSON (EdgeX stores KV values as text). */
export const kvText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
