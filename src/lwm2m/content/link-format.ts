// CoRE link format (content format 40, RFC 6690): registration payloads and Discover answers.
import { DecodeError } from './node.js';

export const LINK_FORMAT = 40;

export interface Link {
  uri: string;
  /** Attribute values as written; `true` for an attribute without a value; quoted strings unquoted. */
  attributes: Record<string, string | number | true>;
}

const TOKEN = /^[!#$%&'()*+\-.:<=>?@[\]^_`{|}~0-9A-Za-z]+$/;

/** RFC 6690 gives these quoted-string values whatever they hold. */
const ALWAYS_QUOTED = new Set(['rt', 'if', 'title', 'anchor']);

function formatAttr(name: string, value: string | number | true): string {
  if (value === true) return name;
  if (typeof value === 'number' || (TOKEN.test(value) && !ALWAYS_QUOTED.has(name))) return `${name}=${value}`;
  return `${name}="${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export function encodeLinks(links: readonly Link[]): Buffer {
  return Buffer.from(
    links.map((l) => [`<${l.uri}>`, ...Object.entries(l.attributes).map(([k, v]) => formatAttr(k, v))].join(';')).join(','),
    'utf8',
  );
}

/** Parses a link-format document; attribute values that look like numbers become numbers. */
export function decodeLinks(payload: Buffer | string): Link[] {
  const s = typeof payload === 'string' ? payload : payload.toString('utf8');
  const links: Link[] = [];
  let pos = 0;
  const fail = (why: string): never => {
    throw new DecodeError(`link format: ${why} at ${pos}`);
  };
  while (pos < s.length) {
    if (s[pos] !== '<') fail('expected <');
    const end = s.indexOf('>', pos);
    if (end < 0) fail('unterminated <');
    const link: Link = { uri: s.slice(pos + 1, end), attributes: {} };
    pos = end + 1;
    while (s[pos] === ';') {
      pos++;
      const name = /^[A-Za-z0-9!#$&+\-.^_`|~*]+/.exec(s.slice(pos))?.[0] ?? fail('expected an attribute name');
      pos += name.length;
      if (s[pos] !== '=') {
        link.attributes[name] = true;
        continue;
      }
      pos++;
      if (s[pos] === '"') {
        let value = '';
        pos++;
        while (pos < s.length && s[pos] !== '"') {
          if (s[pos] === '\\') pos++;
          value += s[pos] ?? '';
          pos++;
        }
        if (s[pos] !== '"') fail('unterminated quoted value');
        pos++;
        link.attributes[name] = value;
      } else {
        const raw = /^[^;,]*/.exec(s.slice(pos))![0];
        pos += raw.length;
        link.attributes[name] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
      }
    }
    links.push(link);
    if (pos < s.length) {
      if (s[pos] !== ',') fail('expected ,');
      pos++;
    }
  }
  return links;
}
