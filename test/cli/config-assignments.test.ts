// KEY=VALUE parsing and dotted key paths for `config set` / `config get`.
import { describe, expect, it } from 'vitest';
import { flattenConfig, parseAssignments, pickKeys, topKeys } from '../../src/cli/config-assignments.js';
import { CliError } from '../../src/cli/io.js';

describe('parseAssignments', () => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [['a=1'], { a: 1 }],
    [['a=text'], { a: 'text' }],
    [['a='], { a: '' }],
    [['a=true', 'b=null'], { a: true, b: null }],
    [['a={"x":[1,2]}'], { a: { x: [1, 2] } }],
    [['a="1"'], { a: '1' }],
    [['url=http://h:1/p?q=2'], { url: 'http://h:1/p?q=2' }],
    [['a.b=1', 'a.c.d=x', 'e=2'], { a: { b: 1, c: { d: 'x' } }, e: 2 }],
    [['toString=1'], { toString: 1 }],
  ];
  it.each(cases)('%j', (args, expected) => {
    expect(parseAssignments(args)).toEqual(expected);
  });

  const bad: Array<[string[], RegExp]> = [
    [['novalue'], /not KEY=VALUE/],
    [['=1'], /not KEY=VALUE/],
    [['a..b=1'], /empty part/],
    [['__proto__.x=1'], /reserved/],
    [['a=1', 'a=2'], /given twice/],
    [['a=1', 'a.b=2'], /conflicts with 'a'/],
    [['a.b=2', 'a=1'], /given twice or conflicts/],
  ];
  it.each(bad)('refuses %j as bad usage', (args, message) => {
    expect(() => parseAssignments(args)).toThrow(message);
    expect(() => parseAssignments(args)).toThrow(CliError);
  });

  it('never touches Object.prototype', () => {
    expect(() => parseAssignments(['constructor.prototype.polluted=1'])).toThrow(/reserved/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('pickKeys and flattenConfig', () => {
  const config = { a: { b: 1, c: 2 }, d: 'x', e: [1], f: {} };
  it('narrows to dotted keys and skips absent ones', () => {
    expect(pickKeys(config, ['a.b', 'd', 'zz', 'd.deeper'])).toEqual({ a: { b: 1 }, d: 'x' });
  });
  it('asks the agent for top-level keys only, once each', () => {
    expect(topKeys(['a.b', 'a.c', 'd'])).toEqual(['a', 'd']);
  });
  it('flattens leaves to dotted rows with JSON values', () => {
    expect(flattenConfig(config)).toEqual([
      ['a.b', '1'],
      ['a.c', '2'],
      ['d', 'x'],
      ['e', '[1]'],
      ['f', '{}'],
    ]);
  });
});
