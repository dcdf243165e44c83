// An artifact's HTTP Basic credentials (LwM2M object 9's User Name and Password) are a secret, kept apart from
// the deployment's record: the store (LevelDB) keeps an overwritten value in its files until a compaction, so a
// password written there once could not be taken back. They live in one file per deployment
// (dataDir/deploy/credentials/ID.json, mode 0600, synced), only while a download may still need them: a crash
// in DOWNLOADING resumes the download after a restart, and VERIFYING may fetch the detached signature. The
// file is removed when the deployment enters any later state. The command journal never holds them
// (src/inbox/journaled-body.ts); no view, event or log line carries an artifact.
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BasicAuth } from './artifact-download.js';
import type { Deployment, DeployState } from './deployment.js';

const NEEDS_CREDENTIALS: ReadonlySet<DeployState> = new Set<DeployState>(['DOWNLOADING', 'VERIFYING']);

export class DownloadCredentials {
  private readonly held = new Map<string, BasicAuth>();

  constructor(private readonly dataDir: string) {}

  private file(deploymentId: string): string {
    return join(this.dataDir, 'deploy', 'credentials', `${deploymentId}.json`);
  }

  /** Takes `auth` out of the artifact of `d` (which is stored without it) and keeps it for d's download. */
  async takeFrom(d: Deployment): Promise<void> {
    if (!d.artifact || !('auth' in d.artifact) || d.artifact.auth === undefined) return;
    const { auth, ...artifact } = d.artifact;
    d.artifact = artifact;
    await mkdir(join(this.dataDir, 'deploy', 'credentials'), { recursive: true, mode: 0o700 });
    const handle = await open(this.file(d.deploymentId), 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(auth));
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.held.set(d.deploymentId, auth);
  }

  /** The credentials of d's download, when it was given some (read back from the file after a restart). */
  async of(d: Pick<Deployment, 'deploymentId'>): Promise<BasicAuth | undefined> {
    const known = this.held.get(d.deploymentId);
    if (known) return known;
    try {
      const auth = JSON.parse(await readFile(this.file(d.deploymentId), 'utf8')) as BasicAuth;
      this.held.set(d.deploymentId, auth);
      return auth;
    } catch {
      return undefined;
    }
  }

  /** Removes the files of all but the unfinished deployments whose state still needs them (a crash between the file and the record leaves one). */
  async sweep(unfinished: Iterable<Pick<Deployment, 'deploymentId' | 'state'>>): Promise<void> {
    const waiting = new Set([...unfinished].filter((d) => NEEDS_CREDENTIALS.has(d.state)).map((d) => d.deploymentId));
    const dir = join(this.dataDir, 'deploy', 'credentials');
    const names = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => !waiting.has(n.replace(/\.json$/, ''))).map((n) => rm(join(dir, n), { force: true })));
  }

  /** Forgets d's credentials once its state needs them no more. */
  async settle(d: Pick<Deployment, 'deploymentId' | 'state'>): Promise<void> {
    if (NEEDS_CREDENTIALS.has(d.state)) return;
    this.held.delete(d.deploymentId);
    await rm(this.file(d.deploymentId), { force: true });
  }
}
