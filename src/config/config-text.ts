// The configuration file's text: JSON, plus // and /* */ comments (so a sample can explain itself), read with
// the line and column of the first mistake. The text is checked by a small scanner that knows where it is;
// the values come from JSON.parse once the comments are blanked out.

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

/** Deeper than any real configuration; the scanner recurses once per level. */
const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseConfigText(text: string): unknown {
  const comments: Array<[number, number]> = [];
  new Scanner(text, comments).document();
  let plain = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  // Blanked, not cut: JSON.parse then sees the same text at the same places.
  for (const [from, to] of comments) plain = plain.slice(0, from) + plain.slice(from, to).replace(/[^\n]/g, ' ') + plain.slice(to);
  return JSON.parse(plain);
}

class Scanner {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly comments: Array<[number, number]>,
  ) {}

  document(): void {
    if (this.s.charCodeAt(0) === 0xfeff) this.i = 1;
    this.value(0);
    this.space();
    if (this.i < this.s.length) this.fail(`unexpected ${this.shown()} after the end of the configuration`);
  }

  private fail(message: string, at = this.i): never {
    const before = this.s.slice(0, at).split('\n');
    throw new ConfigTextError(message, before.length, before.at(-1)!.length + 1);
  }

  private shown(): string {
    const rest = this.s.slice(this.i);
    if (!rest) return 'end of file';
    return JSON.stringify(/^[A-Za-z_]\w*/.exec(rest)?.[0] ?? rest[0]);
  }

  private space(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.i++;
      else if (c === '/' && s[this.i + 1] === '/') {
        const end = s.indexOf('\n', this.i);
        const to = end < 0 ? s.length : end;
        this.comments.push([this.i, to]);
        this.i = to;
      } else if (c === '/' && s[this.i + 1] === '*') {
        const end = s.indexOf('*/', this.i + 2);
        if (end < 0) this.fail('a /* comment is never closed');
        this.comments.push([this.i, end + 2]);
        this.i = end + 2;
      } else return;
    }
  }

  private value(depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    this.space();
    const c = this.s[this.i];
    if (c === '{') return this.members(depth);
    if (c === '[') return this.items(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.s.startsWith(word, this.i) && !/\w/.test(this.s[this.i + word.length] ?? '')) {
        this.i += word.length;
        return;
      }
    }
    if (c === "'") this.fail('strings take double quotes (")');
    this.fail(`expected a value, found ${this.shown()}${/^[A-Za-z]/.test(c ?? '') ? ' (text needs double quotes)' : ''}`);
  }

  private members(depth: number): void {
    this.i++;
    this.space();
    if (this.s[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      this.space();
      if (this.s[this.i] === '}') this.fail('a comma before } (JSON allows no trailing comma)');
      if (this.s[this.i] !== '"') this.fail(`expected a "quoted" key, found ${this.shown()}`);
      this.string();
      this.space();
      if (this.s[this.i] !== ':') this.fail(`expected : after the key, found ${this.shown()}`);
      this.i++;
      this.value(depth + 1);
      this.space();
      const c = this.s[this.i];
      this.i++;
      if (c === '}') return;
      if (c !== ',') this.fail(`expected , or } after a value, found ${(this.i--, this.shown())}${c === '"' ? ' (a comma missing?)' : ''}`);
    }
  }

  private items(depth: number): void {
    this.i++;
    this.space();
    if (this.s[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.space();
      if (this.s[this.i] === ']') this.fail('a comma before ] (JSON allows no trailing comma)');
      this.value(depth + 1);
      this.space();
      const c = this.s[this.i];
      this.i++;
      if (c === ']') return;
      if (c !== ',') this.fail(`expected , or ] after a value, found ${(this.i--, this.shown())}`);
    }
  }

  private string(): void {
    const start = this.i;
    const s = this.s;
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\') {
        const next = s[this.i + 1] ?? '';
        if (next === 'u' ? !/^[0-9a-fA-F]{4}$/.test(s.slice(this.i + 2, this.i + 6)) : !'"\\/bfnrt'.includes(next) || next === '') this.fail(`a bad escape \\${next}`);
        this.i += next === 'u' ? 6 : 2;
        continue;
      }
      if (c < ' ') this.fail(c === '\n' ? 'a line break inside a string (a closing " missing?)' : 'a control character inside a string');
      this.i++;
    }
    this.fail('a string is never closed', start);
  }

  private number(): void {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail(`a bad number`);
    this.i = NUMBER.lastIndex;
  }
}
