// A strict reader for the XML subset OMA DDF files use: elements, attributes, text, CDATA, comments,
// the XML declaration and the five predefined entities. No DTDs, no namespaces resolution.
// (No XML parser is among the project's runtime dependencies; see the LwM2M notes in the report.)

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export class XmlSyntaxError extends Error {}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const NAME = /^[A-Za-z_][\w.:-]*/;

function unescape(raw: string, at: number): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_m, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const ch = ENTITIES[ref];
    if (ch === undefined) throw new XmlSyntaxError(`unknown entity &${ref}; near offset ${at}`);
    return ch;
  });
}

/** Parses a document and returns its root element. */
export function readXml(source: string): XmlElement {
  let pos = 0;
  const fail = (why: string): never => {
    throw new XmlSyntaxError(`${why} at offset ${pos}`);
  };
  const skipMisc = (): void => {
    for (;;) {
      while (pos < source.length && /\s/.test(source[pos]!)) pos++;
      if (source.startsWith('<?', pos)) {
        const end = source.indexOf('?>', pos);
        if (end < 0) fail('unterminated processing instruction');
        pos = end + 2;
      } else if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (source.startsWith('<!DOCTYPE', pos)) {
        fail('DTDs are not supported');
      } else return;
    }
  };

  const element = (): XmlElement => {
    if (source[pos] !== '<') fail('expected <');
    pos++;
    const name = NAME.exec(source.slice(pos, pos + 256))?.[0] ?? fail('expected an element name');
    pos += name.length;
    const el: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      while (/\s/.test(source[pos] ?? '')) pos++;
      if (source.startsWith('/>', pos)) {
        pos += 2;
        return el;
      }
      if (source[pos] === '>') {
        pos++;
        break;
      }
      const attr = NAME.exec(source.slice(pos, pos + 256))?.[0] ?? fail('expected an attribute');
      pos += attr.length;
      while (/\s/.test(source[pos] ?? '')) pos++;
      if (source[pos] !== '=') fail('expected =');
      pos++;
      while (/\s/.test(source[pos] ?? '')) pos++;
      const quote = source[pos];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = source.indexOf(quote!, pos + 1);
      if (end < 0) fail('unterminated attribute value');
      el.attributes[attr] = unescape(source.slice(pos + 1, end), pos);
      pos = end + 1;
    }
    let text = '';
    for (;;) {
      if (pos >= source.length) fail(`unterminated element <${name}>`);
      if (source.startsWith('</', pos)) {
        pos += 2;
        if (!source.startsWith(name, pos)) fail(`mismatched closing tag for <${name}>`);
        pos += name.length;
        while (/\s/.test(source[pos] ?? '')) pos++;
        if (source[pos] !== '>') fail('expected >');
        pos++;
        el.text = text.trim();
        return el;
      }
      if (source.startsWith('<![CDATA[', pos)) {
        const end = source.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA');
        text += source.slice(pos + 9, end);
        pos = end + 3;
      } else if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (source[pos] === '<') {
        el.children.push(element());
      } else {
        const next = source.indexOf('<', pos);
        const end = next < 0 ? source.length : next;
        text += unescape(source.slice(pos, end), pos);
        pos = end;
      }
    }
  };

  skipMisc();
  const root = element();
  skipMisc();
  if (pos !== source.length) fail('content after the root element');
  return root;
}

export const child = (el: XmlElement, name: string): XmlElement | undefined => el.children.find((c) => c.name === name);
