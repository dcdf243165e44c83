// The structure check every inbound body passes (inbox and HTTP), as a pure function.
import { describe, expect, it } from 'vitest';
import { shapeRefusal } from '../../src/security/untrusted-shape.js';

const nested = (levels: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

describe('shapeRefusal', () => {
  it('accepts ordinary request bodies', () => {
    expect(shapeRefusal({ names: ['a', 'b'], config: { Writable: { LogLevel: 'INFO' } } })).toBeUndefined();
    expect(shapeRefusal(nested(31))).toBeUndefined();
    expect(shapeRefusal({ ids: Array.from({ length: 10_000 }, (_, i) => `d${i}`) })).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s at any depth', (key) => {
    expect(shapeRefusal(JSON.parse(`{"${key}":{"start":1}}`))).toMatch(key);
    expect(shapeRefusal(JSON.parse(`{"a":[{"b":{"${key}":1}}]}`))).toMatch(key);
  });

  it('refuses deep nesting without recursing (a 100 000-level body)', () => {
    expect(shapeRefusal(nested(33))).toMatch(/deeper than 32/);
    expect(shapeRefusal(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)))).toMatch(/deeper/);
  });

  it('refuses too many values', () => {
    expect(shapeRefusal({ ids: Array.from({ length: 20_001 }, () => 0) })).toMatch(/more than 20000 values/);
  });

  it('refuses objects that are not plain data (a replaced prototype, a Buffer, a Date)', () => {
    expect(shapeRefusal(Object.create({ start: { command: 'sh' } }))).toMatch(/not plain JSON/);
    expect(shapeRefusal({ a: Buffer.from('x') })).toMatch(/not plain JSON/);
    expect(shapeRefusal({ a: new Date() })).toMatch(/not plain JSON/);
    expect(shapeRefusal(Object.create(null))).toBeUndefined();
  });
});
