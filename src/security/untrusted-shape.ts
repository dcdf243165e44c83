// What a client may send as structure, checked once at the edge before any schema, merge or walk sees it
// (CONTRACT sections 10-11, DESIGN "Untrusted data"). A key such as `__proto__` that reaches an assignment
// (`into[key] = value`) rewrites an object's prototype, and through a merge Object.prototype itself: one
// such key in a configuration once made the agent run a command as root. Deep nesting makes every later
// recursive walk (schemas, flattening, merges) cost memory quadratic in the depth, or the stack. So the
// check walks iteratively and stops at the first offence.

/** Keys that name an object's machinery rather than data. */
export const POISON_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface ShapeLimits {
  /** Levels of objects and arrays, the outermost counting as 1. */
  depth: number;
  /** Values of any kind, containers included. */
  values: number;
}

/** Far above any real request (the largest, trust.list with 10 000 ids, is ~10 000 values at depth 2). */
export const REQUEST_SHAPE: ShapeLimits = { depth: 32, values: 20_000 };

/** Why `value` may not enter the agent, or undefined when it may. */
export function shapeRefusal(value: unknown, limits: ShapeLimits = REQUEST_SHAPE): string | undefined {
  const pending: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  let values = 0;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (++values > limits.values) return `more than ${limits.values} values`;
    const { v, depth } = next;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limits.depth) return `nested deeper than ${limits.depth} levels`;
    const proto: unknown = Object.getPrototypeOf(v);
    if (Array.isArray(v)) {
      if (proto !== Array.prototype) return 'an array of an unexpected kind';
      for (const item of v) pending.push({ v: item, depth: depth + 1 });
      continue;
    }
    // A decoder may hand over a Buffer, a Date or an object whose prototype a `__proto__` key replaced.
    if (proto !== Object.prototype && proto !== null) return 'a value that is not plain JSON data';
    for (const key of Object.keys(v)) {
      if (POISON_KEYS.has(key)) return `the key ${key} is not allowed`;
      pending.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return undefined;
}
