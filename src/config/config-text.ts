// The configuration file's text: JSON, plus // and /* */ comments (so a sample can explain itself), read with
// the line and column of the first mistake. The grammar is jsonc-parser's (VS Code's reader of settings files);
// this file only builds the value and words the first error for a person. What jsonc-parser knows about a
// mistake is a code and an offset; what was expected there (a key, a value, a comma) it does not say for a
// stray word, so the visitor keeps that one fact as it goes.
import type * as Jsonc from 'jsonc-parser';
import { requireCommonJs } from '../commonjs.js';

/** jsonc-parser's names for its error codes ('CommaExpected', ...). */
type Problem = ReturnType<typeof Jsonc.printParseErrorCode>;

export class ConfigTextError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'ConfigTextError';
  }
}

/** Levels below the top one; deeper than any real configuration. jsonc-parser recurses once per level, so this also bounds its stack. */
const MAX_DEPTH = 64;

type Container = Record<string, unknown> | unknown[];
/** What the reader wanted at the point it stopped. */
type Expecting = 'key' | 'colon' | 'value' | 'next' | 'end';

export function parseConfigText(file: string): unknown {
  // A CommonJS package (src/commonjs.ts says why require), loaded only when there is a file to read.
  const jsonc = requireCommonJs('jsonc-parser') as typeof Jsonc;
  // A byte-order mark (Windows editors write one) is no whitespace to jsonc-parser; a space keeps every offset.
  const text = file.charCodeAt(0) === 0xfeff ? ` ${file.slice(1)}` : file;
  const open: Container[] = [];
  let root: unknown;
  let key = '';
  let expecting: Expecting = 'value';
  let afterComma = false;
  const fail = (reason: string, at: number): never => {
    const before = text.slice(0, at).split('\n');
    throw new ConfigTextError(reason, before.length, before.at(-1)!.length + 1);
  };
  const put = (value: unknown): void => {
    const into = open.at(-1);
    if (!into) root = value;
    else if (Array.isArray(into)) into.push(value);
    // As JSON.parse does: "__proto__" stays a plain key, never the object's prototype.
    else Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  };
  const settled = (): void => {
    expecting = open.length > 0 ? 'next' : 'end';
    afterComma = false;
  };
  const begin = (container: Container, offset: number): void => {
    if (open.length > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`, offset);
    put(container);
    open.push(container);
    expecting = Array.isArray(container) ? 'value' : 'key';
    afterComma = false;
  };
  jsonc.visit(
    text,
    {
      onObjectBegin: (offset) => begin({}, offset),
      onArrayBegin: (offset) => begin([], offset),
      onObjectEnd: () => (open.pop(), settled()),
      onArrayEnd: () => (open.pop(), settled()),
      onObjectProperty: (name) => {
        key = name;
        expecting = 'colon';
      },
      onSeparator: (separator) => {
        afterComma = separator === ',';
        expecting = afterComma && !Array.isArray(open.at(-1)) ? 'key' : 'value';
      },
      onLiteralValue: (value) => (put(value), settled()),
      onError: (code, offset, length) => {
        const [reason, at] = explain(text, jsonc.printParseErrorCode(code), offset, length, expecting, afterComma, Array.isArray(open.at(-1)) ? ']' : '}');
        fail(reason, at);
      },
    },
    { disallowComments: false, allowTrailingComma: false, allowEmptyContent: false },
  );
  return root;
}

/** The first mistake in words, and where to point: a string's problem is inside it, not at its quote. */
function explain(text: string, code: Problem, offset: number, length: number, expecting: Expecting, afterComma: boolean, close: string): [string, number] {
  const found = shown(text, offset);
  const token = text.slice(offset, offset + length);
  switch (code) {
    case 'UnexpectedEndOfComment':
      return ['a /* comment is never closed', offset];
    case 'UnexpectedEndOfString':
      return /[\r\n]/.test(text[offset + length] ?? '') ? ['a line break inside a string (a closing " missing?)', offset + length] : ['a string is never closed', offset];
    case 'InvalidCharacter':
      return ['a control character inside a string', offset + token.search(/[\x00-\x1f]/)];
    case 'InvalidEscapeCharacter':
    case 'InvalidUnicode': {
      const bad = /\\(?:u(?![0-9a-fA-F]{4})|[^"\\/bfnrtu]|$)/.exec(token);
      return [`a bad escape ${bad?.[0] ?? '\\'}`, offset + (bad?.index ?? 0)];
    }
    case 'UnexpectedEndOfNumber':
    case 'InvalidNumberFormat':
      return ['a bad number', offset];
    case 'PropertyNameExpected':
    case 'ValueExpected':
      if (afterComma && (found === '"}"' || found === '"]"')) return [`a comma before ${found[1]} (JSON allows no trailing comma)`, offset];
      return [code === 'PropertyNameExpected' ? keyExpected(found) : valueExpected(found), offset];
    case 'ColonExpected':
      return [`expected : after the key, found ${found}`, offset];
    case 'CommaExpected':
    case 'CloseBraceExpected':
    case 'CloseBracketExpected':
      return [nextExpected(code === 'CloseBracketExpected' ? ']' : code === 'CloseBraceExpected' ? '}' : close, found), offset];
    case 'EndOfFileExpected':
      return [`unexpected ${found} after the end of the configuration`, offset];
    default: // InvalidSymbol: a stray word or character, worded by what was wanted where it stands
      return [
        { key: keyExpected(found), colon: `expected : after the key, found ${found}`, value: valueExpected(found), next: nextExpected(close, found), end: `unexpected ${found} after the end of the configuration` }[expecting],
        offset,
      ];
  }
}

const keyExpected = (found: string): string => `expected a "quoted" key, found ${found}`;
const nextExpected = (close: string, found: string): string => `expected , or ${close} after a value, found ${found}${found.startsWith('"\\"') ? ' (a comma missing?)' : ''}`;

function valueExpected(found: string): string {
  if (found === `"'"`) return 'strings take double quotes (")';
  return `expected a value, found ${found}${/^"[A-Za-z]/.test(found) ? ' (text needs double quotes)' : ''}`;
}

/** The word or character at `at`, quoted, for a message. */
function shown(text: string, at: number): string {
  const rest = text.slice(at);
  if (!rest) return 'end of file';
  return JSON.stringify(/^[A-Za-z_]\w*/.exec(rest)?.[0] ?? rest[0]);
}
