// Untrusted text for a person's terminal: one function shows every control character but TAB as \xNN
// (src/terminal-text.ts); JSON for programs keeps its value with DEL and C1 as \u escapes; the agent's
// readable log record passes every string through the first.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeJson, writeLine, writeLines } from '../../src/cli/io.js';
import { readableLine, readableRecord } from '../../src/logging/readable-record.js';
import { terminalSafeJson, terminalText } from '../../src/terminal-text.js';

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function sink(): { write: (c: string | Uint8Array) => void; text: () => string } {
  let text = '';
  return { write: (c) => void (text += String(c)), text: () => text };
}

describe('terminalText', () => {
  it.each([
    ['clear \u001b[2J', 'clear \\x1b[2J'],
    ['osc \u001b]52;c;eA==\u0007', 'osc \\x1b]52;c;eA==\\x07'],
    ['csi8 \u009b31m del \u007f', 'csi8 \\x9b31m del \\x7f'],
    ['a\r[fake] INFO: b\nc', 'a\\x0d[fake] INFO: b\\x0ac'],
    ['tab\tstays, é, \u00a0, 🙂, \u05d0 and \u200d too', 'tab\tstays, é, \u00a0, 🙂, \u05d0 and \u200d too'],
    ['dev-\u202egpj.exe', 'dev-\\u{202e}gpj.exe'],
    ['isolates \u2066x\u2069 and \u202ax\u202c', 'isolates \\u{2066}x\\u{2069} and \\u{202a}x\\u{202c}'],
    ['line\u2028sep\u2029par', 'line\\u{2028}sep\\u{2029}par'],
  ])('%j shown as %j', (text, shown) => {
    expect(terminalText(text)).toBe(shown);
  });

  it('leaves no control character but TAB in any string, and changes nothing it shows already', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const shown = terminalText(s);
        expect(shown).not.toMatch(CONTROL);
        expect(terminalText(shown)).toBe(shown);
      }),
    );
  });
});

describe('terminalSafeJson', () => {
  it('writes DEL and C1 as \\u escapes: the same value back, no raw control character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const json = terminalSafeJson(JSON.stringify({ s }));
        expect(json).not.toMatch(CONTROL);
        expect((JSON.parse(json) as { s: string }).s).toBe(s);
      }),
    );
  });
});

describe('the CLI writers', () => {
  it('writeLine shows a \\n inside the line, writeLines keeps the lines of a table, writeJson keeps the value', () => {
    const one = sink();
    writeLine(one, 'sma-bridge: no service named x\n[fake] INFO: y\u001b[2J');
    expect(one.text()).toBe('sma-bridge: no service named x\\x0a[fake] INFO: y\\x1b[2J\n');
    const many = sink();
    writeLines(many, 'NAME  STATUS\nx     RUNNING\n');
    expect(many.text()).toBe('NAME  STATUS\nx     RUNNING\n');
    const json = sink();
    writeJson(json, { id: 'dev\u009b\u001b' }, 0);
    expect(json.text()).toBe('{"id":"dev\\u009b\\u001b"}\n');
  });
});

describe('readableRecord', () => {
  it('shows every string and key escaped, however nested; a stack keeps its line breaks', () => {
    const record = readableRecord({
      level: 30,
      msg: 'device d\u001b[2J\n[fake] turned NONE',
      examples: ['a\u009b', { ['k\u0007']: 'v\r' }],
      err: { message: 'm\u001b', stack: 'Error: m\u001b\n    at x' },
      n: 1,
      ok: true,
      none: null,
    });
    expect(record).toEqual({
      level: 30,
      msg: 'device d\\x1b[2J\\x0a[fake] turned NONE',
      examples: ['a\\x9b', { 'k\\x07': 'v\\x0d' }],
      err: { message: 'm\\x1b', stack: 'Error: m\\x1b\n    at x' },
      n: 1,
      ok: true,
      none: null,
    });
  });

  it('keeps __proto__ a key, and shows a record deeper than its limit as escaped JSON text', () => {
    const line = `{"__proto__":{"polluted":"\\u001b"},"deep":${'{"a":'.repeat(12)}"\\u009b"${'}'.repeat(12)}}\n`;
    const back = JSON.parse(readableLine(line)) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(back)).toEqual(['__proto__', 'deep']);
    expect(readableLine(line)).not.toMatch(/\\u001b|\\u009b/);
    expect(readableLine(line)).toContain('\\\\x9b');
  });
});
