// The version directory is where a deployment removes and unpacks: its name and version are checked again where
// they become a path (the request schemas check them first), so a stored or future way in cannot name a
// directory outside {dataDir}/versions. Pure: path building only.
import { describe, expect, it } from 'vitest';
import { versionDir } from '../../src/deploy/archive-install.js';

describe('versionDir', () => {
  it('stays inside {dataDir}/versions/{name}', () => {
    expect(versionDir('/data', 'app', '1.2.3+build-4')).toBe('/data/versions/app/1.2.3+build-4');
  });

  it('refuses a version or name that would leave it', () => {
    for (const [name, version] of [['app', '../../../etc'], ['app', 'a/b'], ['app', '..'], ['app', '.'], ['app', ''], ['app', '/abs'], ['app', '1\u0000'], ['..', '1.0'], ['a/../..', '1.0'], ['', '1.0']]) {
      expect(() => versionDir('/data', name!, version!), `${name} ${version}`).toThrow(/not a service name and version/);
    }
  });
});
