// Unpacks a verified artifact (a gzip'd tar) into its version directory: listed and checked whole first
// (archive-rules.ts), then extracted into a hidden directory beside it and renamed into place, so that a
// version directory, once it exists, is complete.
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { archiveRefusal, type ArchiveEntry } from './archive-rules.js';
import { DeployFailure } from './deployment.js';
import { collectYoung } from './garbage-bound.js';
import { SERVICE_NAME } from '../names.js';
import { VERSION_PATTERN } from '../operations/deploy-schemas.js';

/** tar reads the archive in pieces of this size (its default, 16 MB, shows as resident memory on a gateway). */
const READ_SIZE = 1 << 16;

/** More entries than this is no service release. */
const MAX_ENTRIES = 200_000;

/** Loaded at the first install: a gateway that never deploys does not carry the tar library. */
const tarLibrary = (): Promise<typeof import('tar')> => import('tar');

/** Every entry of the archive (bounded), with the unpacked size; INSTALL when it is not a readable gzip'd tar. */
export async function listArchive(file: string): Promise<{ entries: ArchiveEntry[]; bytes: number }> {
  const tar = await tarLibrary();
  const entries: ArchiveEntry[] = [];
  let bytes = 0;
  let tooMany = false;
  const stop = collectingWhile();
  try {
    await tar.t({
      file,
      strict: true,
      maxReadSize: READ_SIZE,
      onReadEntry: (entry) => {
        if (entries.length >= MAX_ENTRIES) tooMany = true;
        else entries.push({ path: entry.path, type: entry.type, linkpath: entry.linkpath, size: entry.size ?? 0 });
        bytes += entry.size ?? 0;
      },
    });
  } catch (err) {
    throw new DeployFailure('INSTALL', `not a readable gzip'd tar: ${(err as Error).message}`);
  } finally {
    stop();
  }
  if (tooMany) throw new DeployFailure('INSTALL', `more than ${MAX_ENTRIES} entries`);
  return { entries, bytes };
}

/**
 * Checks the listing, then unpacks into `dir` (which must not exist yet) through `.{version}.partial` beside
 * it: a leading dot no version can have (VERSION_PATTERN), so the unpacking never removes another version's
 * directory (`{version}.partial` is itself a valid version).
 */
export async function unpackArchive(file: string, dir: string, entries: readonly ArchiveEntry[]): Promise<void> {
  const refusal = archiveRefusal(entries);
  if (refusal) throw new DeployFailure('INSTALL', refusal);
  const tar = await tarLibrary();
  const partial = join(dirname(dir), `.${basename(dir)}.partial`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const stop = collectingWhile();
  try {
    await tar.x({
      file,
      cwd: partial,
      strict: true,
      maxReadSize: READ_SIZE,
      // Never as root's files with set-id bits: owners and modes beyond rwx come from no one we trust.
      preserveOwner: false,
      filter: (_path, entry) => {
        if ('mode' in entry && typeof entry.mode === 'number') entry.mode &= 0o777;
        return true;
      },
    });
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw new DeployFailure('INSTALL', `cannot unpack: ${(err as Error).message}`);
  } finally {
    stop();
  }
  await rename(partial, dir);
}

/**
 * `{dataDir}/versions/{name}/{version}`. The request schemas already hold both to their patterns; checked again
 * here, where they become a path that is removed and unpacked into, so that no other way in (a stored
 * deployment, a future front) can name a directory outside.
 */
export function versionDir(dataDir: string, name: string, version: string): string {
  if (!SERVICE_NAME.test(name) || !VERSION_PATTERN.test(version)) throw new DeployFailure('INSTALL', `not a service name and version: ${JSON.stringify(name).slice(0, 80)} ${JSON.stringify(version).slice(0, 80)}`);
  return join(dataDir, 'versions', name, version);
}

/** tar's pieces are read and inflated into fresh buffers as the download's are (garbage-bound.ts): collected every 50 ms while it works. */
function collectingWhile(): () => void {
  const timer = setInterval(collectYoung, 50);
  return () => clearInterval(timer);
}
