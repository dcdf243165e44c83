// The merges of client data never reach an object's prototype, even if a poison key got past the edge.
import { afterEach, describe, expect, it } from 'vitest';
import { mergeConfig, mergePatches } from '../../src/operations/config-merge.js';

const poisoned = (): Record<string, unknown> => JSON.parse('{"a":{"__proto__":{"start":"sh"}},"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as Record<string, unknown>;

describe('configuration merges on client data', () => {
  afterEach(() => {
    // Clean up after a broken guard, so one red test does not turn every later one red.
    for (const k of ['polluted', 'start']) delete (Object.prototype as Record<string, unknown>)[k];
  });

  it('mergeConfig leaves Object.prototype and the result\'s prototype alone', () => {
    const out = mergeConfig({ a: { b: 1 } }, poisoned());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).start).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(out.a)).toBe(Object.prototype);
    expect(out).toEqual({ a: { b: 1 } });
  });

  it('mergePatches leaves Object.prototype alone, into an empty patch or a filled one', () => {
    mergePatches({}, poisoned());
    mergePatches({ a: { b: 1 } }, poisoned());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).start).toBeUndefined();
  });

  it('still merges ordinary patches', () => {
    expect(mergePatches({ a: { b: 1 } }, { a: { c: null }, d: 2 })).toEqual({ a: { b: 1, c: null }, d: 2 });
    expect(mergeConfig({ a: { b: 1, c: 2 } }, { a: { c: null }, d: [1] })).toEqual({ a: { b: 1 }, d: [1] });
  });
});
