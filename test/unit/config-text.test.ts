// The configuration file's text: JSON with comments, and the line and column of a mistake.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigTextError, parseConfigText } from '../../src/config/config-text.js';

function mistake(text: string): { line: number; column: number; reason: string } {
  try {
    parseConfigText(text);
  } catch (err) {
    if (err instanceof ConfigTextError) return { line: err.line, column: err.column, reason: err.reason };
    throw err;
  }
  throw new Error('parsed');
}

describe('parseConfigText', () => {
  it('reads JSON with // and /* */ comments, leaving // inside strings alone', () => {
    const text = '// head\n{\n  "url": "mqtt://host:1883", // the broker\n  /* a\n  block */ "n": [1, 2.5e3, -0, true, null]\n}\n';
    expect(parseConfigText(text)).toEqual({ url: 'mqtt://host:1883', n: [1, 2500, -0, true, null] });
    expect(parseConfigText('\ufeff{"a": "\\u00e9\\n"}')).toEqual({ a: 'é\n' });
  });

  it('keeps __proto__ a plain key (JSON.parse semantics), never a prototype', () => {
    const value = parseConfigText('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads the packaged sample, comments and all, to the values JSON.parse gives once they are blanked', () => {
    const text = readFileSync(new URL('../../packaging/config.sample.json', import.meta.url), 'utf8');
    expect(text).toMatch(/\/\/|\/\*/);
    const blanked = text.replace(/"(?:[^"\\\n]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m) => (m.startsWith('"') ? m : ' '));
    expect(parseConfigText(text)).toEqual(JSON.parse(blanked));
  });

  it('stops a pathological nesting at its limit, not with a stack overflow in the reader', () => {
    expect(mistake('{"a": '.repeat(200_000))).toMatchObject({ line: 1, reason: 'nested deeper than 64 levels' });
  });

  it.each([
    ['{\n  "a": 1,\n  "b": 2,\n}', 4, 1, 'trailing comma'],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, 'comma missing'],
    ['{"a": tru}', 1, 7, 'expected a value, found "tru"'],
    ["{'a': 1}", 1, 2, 'quoted" key'],
    ['{"a": 1', 1, 8, 'end of file'],
    ['{"a": "x\n"}', 1, 9, 'line break inside a string'],
    ['{"a": 1} x', 1, 10, 'after the end'],
    ['{"a": /* 1}', 1, 7, 'never closed'],
    ['{"a": 01}', 1, 8, 'expected , or }'],
    ['{"a": hello}', 1, 7, 'text needs double quotes'],
    ['[' .repeat(100), 1, 66, 'nested deeper'],
    ['{\n  "a": [1,]\n}', 2, 11, 'a comma before ]'],
    ['{"a": \'x\'}', 1, 7, 'strings take double quotes'],
    ['{"a" 1}', 1, 6, 'expected : after the key, found "1"'],
    ['{"a": 1 "b": 2}', 1, 9, 'a comma missing?'],
    ['{"a": "\\q"}', 1, 8, 'a bad escape \\q'],
    ['{"a": "x\ty"}', 1, 9, 'a control character inside a string'],
    ['{"a": 1.}', 1, 7, 'a bad number'],
    ['{"a": 1}}', 1, 9, 'unexpected "}" after the end'],
    ['', 1, 1, 'expected a value, found end of file'],
  ])('%j: line %i column %i (%s)', (text, line, column, reason) => {
    const found = mistake(text);
    expect(found).toMatchObject({ line, column });
    expect(found.reason).toContain(reason);
  });
});
