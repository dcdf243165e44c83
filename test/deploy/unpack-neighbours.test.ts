// Unpacking a version never touches another version's directory (CONTRACT 13: the running version is left as
// it was). The unpacking went through `{version}.partial`, which is also a valid version name: installing `v2`
// removed the directory of a kept version `v2.partial`. Real files and a real gzip'd tar.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listArchive, unpackArchive, versionDir } from '../../src/deploy/archive-install.js';
import { tarball } from './tarball.js';

describe('unpacking beside other versions', () => {
  let data = '';
  afterEach(() => rmSync(data, { recursive: true, force: true }));

  it('leaves a version named like the unpacking directory (v2.partial) as it was', async () => {
    data = mkdtempSync(join(tmpdir(), 'sma-unpack-'));
    const running = versionDir(data, 'app', 'v2.partial');
    mkdirSync(running, { recursive: true });
    writeFileSync(join(running, 'app.js'), 'the running version');
    const file = join(data, 'v2.tgz');
    writeFileSync(file, tarball([{ path: 'app.js', body: 'v2' }]));
    const { entries } = await listArchive(file);
    await unpackArchive(file, versionDir(data, 'app', 'v2'), entries);
    expect(readFileSync(join(versionDir(data, 'app', 'v2'), 'app.js'), 'utf8')).toBe('v2');
    expect(existsSync(join(running, 'app.js'))).toBe(true);
    expect(readFileSync(join(running, 'app.js'), 'utf8')).toBe('the running version');
  });
});
