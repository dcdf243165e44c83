// Which tar entries may be unpacked into a version directory: nothing may land or point outside it.
// Pure rules over the entry list, so that every refusal is table-testable without a file system.

export interface ArchiveEntry {
  path: string;
  type: string;
  linkpath?: string;
  size: number;
}

const WRITABLE = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/** Path segments of an archive path; undefined when it is absolute or climbs with `..`. */
export function relativeSegments(path: string): string[] | undefined {
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path) || path.includes('\0')) return undefined;
  const segments = path.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  return segments.includes('..') ? undefined : segments;
}

/**
 * Why the archive may not be unpacked, or undefined when every entry stays inside. A symbolic link must
 * resolve inside without its `..` stepping back out of another link (whose real place may differ from its
 * path); no entry may be written through a link; a hard link may not name a link (it would move it).
 */
export function archiveRefusal(entries: readonly ArchiveEntry[]): string | undefined {
  const links = new Set<string>();
  for (const e of entries) {
    const segments = relativeSegments(e.path);
    if (e.type === 'SymbolicLink' && segments) links.add(segments.join('/'));
  }
  for (const e of entries) {
    const segments = relativeSegments(e.path);
    if (!segments) return `${JSON.stringify(e.path)}: absolute paths and ".." are refused`;
    if (!WRITABLE.has(e.type)) return `${JSON.stringify(e.path)}: entries of type ${e.type} are refused`;
    for (let i = 1; i < segments.length; i += 1) {
      if (links.has(segments.slice(0, i).join('/'))) return `${JSON.stringify(e.path)}: written through the link ${segments.slice(0, i).join('/')}`;
    }
    if (e.type === 'SymbolicLink' && !linkStaysInside(segments.slice(0, -1), e.linkpath ?? '', links)) {
      return `${JSON.stringify(e.path)}: a link pointing out (${JSON.stringify(e.linkpath)})`;
    }
    if (e.type === 'Link') {
      const target = relativeSegments(e.linkpath ?? '');
      if (!target || target.length === 0) return `${JSON.stringify(e.path)}: a hard link pointing out (${JSON.stringify(e.linkpath)})`;
      if (links.has(target.join('/'))) return `${JSON.stringify(e.path)}: a hard link to a symbolic link`;
    }
  }
  return undefined;
}

/** Walks the target from the link's directory; a `..` right after another link's name is refused. */
function linkStaysInside(dir: string[], target: string, links: ReadonlySet<string>): boolean {
  if (target === '' || target.startsWith('/') || target.startsWith('\\') || /^[A-Za-z]:/.test(target) || target.includes('\0')) return false;
  const stack = [...dir];
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (stack.length === 0 || links.has(stack.join('/'))) return false;
      stack.pop();
      continue;
    }
    stack.push(seg);
  }
  return true;
}
