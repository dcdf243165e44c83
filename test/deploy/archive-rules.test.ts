// Which tar entries may be unpacked (src/deploy/archive-rules.ts), table by table; the e2e test proves the same
// refusals end INSTALL with nothing written outside, through the agent.
import { describe, expect, it } from 'vitest';
import { archiveRefusal, type ArchiveEntry } from '../../src/deploy/archive-rules.js';

const file = (path: string): ArchiveEntry => ({ path, type: 'File', size: 1 });
const dir = (path: string): ArchiveEntry => ({ path, type: 'Directory', size: 0 });
const symlink = (path: string, linkpath: string): ArchiveEntry => ({ path, type: 'SymbolicLink', linkpath, size: 0 });
const hardlink = (path: string, linkpath: string): ArchiveEntry => ({ path, type: 'Link', linkpath, size: 0 });

describe('archive rules', () => {
  it.each<[string, ArchiveEntry[]]>([
    ['files and directories', [dir('app/'), file('app/app.js'), file('./app/lib/x.js')]],
    ['a link to a sibling', [file('app/lib/a.so.1'), symlink('app/lib/a.so', 'a.so.1')]],
    ['a link up and down inside', [file('app/etc/conf'), symlink('app/bin/conf', '../etc/conf')]],
    ['a link to the top', [symlink('app/root', '..')]],
    ['a hard link to a file', [file('app/a'), hardlink('app/b', 'app/a')]],
  ])('admits %s', (_what, entries) => {
    expect(archiveRefusal(entries)).toBeUndefined();
  });

  it.each<[string, ArchiveEntry[], RegExp]>([
    ['`..` in a path', [file('app/../../x')], /"\.\." are refused/],
    ['a leading `..`', [file('../x')], /"\.\." are refused/],
    ['an absolute path', [file('/etc/cron.d/x')], /absolute/],
    ['a Windows drive path', [file('C:/x')], /absolute/],
    ['a link to an absolute path', [symlink('app/etc', '/etc')], /pointing out/],
    ['a link climbing out', [symlink('app/up', '../../x')], /pointing out/],
    ['a link that climbs out through a link to `.`', [symlink('x', '.'), symlink('x/s', '..')], /written through the link x/],
    ['a `..` right after another link', [symlink('y', 'app'), symlink('s', 'y/../..')], /pointing out/],
    ['a file written through a link', [symlink('app/out', 'lib'), file('app/out/x')], /written through the link app\/out/],
    ['a hard link out', [hardlink('app/h', '../../etc/passwd')], /hard link pointing out/],
    ['a hard link to an absolute path', [hardlink('app/h', '/etc/passwd')], /hard link pointing out/],
    ['a hard link to a symbolic link', [symlink('app/s', '../x'), hardlink('h', 'app/s')], /hard link to a symbolic link/],
    ['a device', [{ path: 'app/dev', type: 'CharacterDevice', size: 0 }], /CharacterDevice/],
    ['a FIFO', [{ path: 'app/fifo', type: 'FIFO', size: 0 }], /FIFO/],
  ])('refuses %s', (_what, entries, why) => {
    expect(archiveRefusal(entries)).toMatch(why);
  });
});
