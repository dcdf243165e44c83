// The two merges of configuration data, over data that came from clients. Both take own properties only and
// skip a key naming an object's machinery: the edge refuses such keys already (security/untrusted-shape.ts),
// and a merge must not be the one place that forgets it (the KV merge once walked into Object.prototype).
import { isPlainObject, type ServiceConfig } from '../model.js';
import { POISON_KEYS } from '../security/untrusted-shape.js';

/** A configuration with a patch applied: plain objects merge deeply, `null` removes a key, arrays and scalars replace. */
export function mergeConfig(base: ServiceConfig, patch: ServiceConfig): ServiceConfig {
  const out: ServiceConfig = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (POISON_KEYS.has(key)) continue;
    const here = Object.hasOwn(out, key) ? out[key] : undefined;
    if (value === null) delete out[key];
    else if (isPlainObject(value) && isPlainObject(here)) out[key] = mergeConfig(here, value);
    else out[key] = value;
  }
  return out;
}

/** Two patches as one, into `into`: no `null` handling (a removal stays a `null` leaf), the later leaf wins. */
export function mergePatches(into: ServiceConfig, patch: ServiceConfig): ServiceConfig {
  for (const [k, v] of Object.entries(patch)) {
    if (POISON_KEYS.has(k)) continue;
    const here = Object.hasOwn(into, k) ? into[k] : undefined;
    into[k] = isPlainObject(v) && isPlainObject(here) ? mergePatches(here, v) : v;
  }
  return into;
}
