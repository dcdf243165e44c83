// The steps before the switch, each over one deployment: download, verify, install. Nothing here touches the
// running version; a failure leaves it as it was.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listArchive, unpackArchive, versionDir } from './archive-install.js';
import { downloadArtifact, redact, type BasicAuth } from './artifact-download.js';
import type { DownloadCredentials } from './download-credentials.js';
import { checkIntegrity, sha256Of, type SignaturePolicy } from './artifact-integrity.js';
import { DeployFailure, type Artifact, type Deployment } from './deployment.js';

export interface ArtifactStepOptions {
  dataDir: string;
  allowedHosts: readonly string[];
  /** `deploy.maxArtifactBytes`. */
  maxArtifactBytes: number;
  /** `deploy.downloadTimeoutMs`. */
  downloadTimeoutMs?: number;
  signatures: SignaturePolicy;
  freeBytes(dir: string): Promise<number>;
  pause(ms: number): Promise<void>;
  progress(d: Deployment, bytes: number, total: number | undefined): void;
  /** An artifact's HTTP Basic credentials, held apart from its deployment (download-credentials.ts). */
  credentials?: Pick<DownloadCredentials, 'of'>;
}

export const downloadsDir = (dataDir: string): string => join(dataDir, 'deploy', 'downloads');
export const artifactFile = (dataDir: string, d: Pick<Deployment, 'deploymentId'>): string => join(downloadsDir(dataDir), `${d.deploymentId}.tgz`);

export class ArtifactSteps {
  constructor(private readonly o: ArtifactStepOptions) {}

  /** `signal`: a cancel, which cuts the download at once (INTERRUPTED). */
  async download(d: Deployment, signal?: AbortSignal): Promise<void> {
    const artifact = urlArtifactOf(d);
    const file = artifactFile(this.o.dataDir, d);
    await downloadArtifact({
      url: artifact.url,
      signal,
      file,
      allowedHosts: this.o.allowedHosts,
      ...(await this.authOf(d)),
      maxBytes: Math.min(this.o.maxArtifactBytes, artifact.size ?? Infinity),
      timeoutMs: this.o.downloadTimeoutMs,
      pause: this.o.pause,
      progress: (bytes, total) => this.o.progress(d, bytes, total ?? artifact.size),
      beforeBody: async (total, have) => {
        const size = total ?? artifact.size;
        if (size === undefined) return;
        // The unpacked size is known only once the archive is here (checked again before installing): until then, as large again.
        await this.needSpace(downloadsDir(this.o.dataDir), size - have + size, 'to download and unpack the artifact');
      },
    });
  }

  async verify(d: Deployment, signal?: AbortSignal): Promise<void> {
    const artifact = urlArtifactOf(d);
    let digest: Buffer;
    try {
      digest = await sha256Of(artifactFile(this.o.dataDir, d), signal);
    } catch (err) {
      if (err instanceof DeployFailure) throw err;
      throw new DeployFailure('DOWNLOAD', `the downloaded artifact is gone: ${(err as Error).message}`);
    }
    if (artifact.sha256 !== undefined) return checkIntegrity(digest, artifact.sha256, artifact.signature, this.o.signatures);
    // No digest given: the artifact is whatever arrived, and only a trusted key's signature of it vouches for it.
    const signature = await this.detachedSignature(d, artifact.signatureUrl!, signal);
    checkIntegrity(digest, digest.toString('hex'), signature, { ...this.o.signatures, requireSignature: true });
  }

  /** The detached signature at `url` (base64 text, or the 64 raw bytes), fetched as the artifact was. */
  private async detachedSignature(d: Deployment, url: string, signal: AbortSignal | undefined): Promise<string> {
    const file = `${artifactFile(this.o.dataDir, d)}.sig`;
    await rm(file, { force: true });
    try {
      await downloadArtifact({
        url,
        file,
        signal,
        allowedHosts: this.o.allowedHosts,
        // The signature beside the artifact is behind the same credentials (sent to the artifact's origin only).
        ...(await this.authOf(d)),
        pause: this.o.pause,
        progress: () => undefined,
        attempts: 3,
        maxBytes: 4096,
        // A signature trickled a byte at a time would hold the deployment as long as an artifact could.
        timeoutMs: this.o.downloadTimeoutMs,
        beforeBody: async (total) => {
          if (total !== undefined && total > 4096) throw new DeployFailure('INTEGRITY', `the signature at ${redact(url)} is ${total} bytes: not a signature`);
        },
      });
      const raw = await readFile(file);
      if (raw.length > 4096) throw new DeployFailure('INTEGRITY', `the signature at ${redact(url)} is too large`);
      return raw.length === 64 ? raw.toString('base64') : raw.toString('utf8').trim();
    } catch (err) {
      if (err instanceof DeployFailure && (err.code === 'INTEGRITY' || err.code === 'INTERRUPTED')) throw err;
      throw new DeployFailure('INTEGRITY', `no signature for an artifact given without its digest: ${(err as Error).message}`);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Unpacks into the version directory; one already there that no slot keeps is replaced. */
  async install(d: Deployment, kept: ReadonlySet<string>): Promise<void> {
    const file = artifactFile(this.o.dataDir, d);
    const { entries, bytes } = await listArchive(file);
    const dir = versionDir(this.o.dataDir, d.name, d.version);
    await this.needSpace(join(this.o.dataDir, 'versions'), bytes, 'to unpack the artifact');
    if (kept.has(d.version)) throw new DeployFailure('INSTALL', `version ${d.version} is kept for a rollback; deploy it under another version`);
    await rm(dir, { recursive: true, force: true });
    await unpackArchive(file, dir, entries);
    await rm(file, { force: true });
  }

  /**
   * At start: the downloads of no unfinished deployment go (an artifact is removed after its deployment's end is
   * stored, so a crash in between leaves it, on a flash card, for ever). Files are named by deployment id.
   */
  async sweepDownloads(unfinished: ReadonlySet<string>): Promise<string[]> {
    const dir = downloadsDir(this.o.dataDir);
    const names = await readdir(dir).catch(() => [] as string[]);
    const stale = names.filter((n) => !unfinished.has(n.slice(0, n.indexOf('.') < 0 ? n.length : n.indexOf('.'))));
    await Promise.all(stale.map((n) => rm(join(dir, n), { recursive: true, force: true })));
    return stale;
  }

  /** The artifact and every version directory no slot keeps: two good versions stay. */
  async clean(d: Deployment, kept: ReadonlySet<string>): Promise<void> {
    await rm(artifactFile(this.o.dataDir, d), { force: true });
    const dir = join(this.o.dataDir, 'versions', d.name);
    const present = await readdir(dir).catch(() => [] as string[]);
    await Promise.all(present.filter((v) => !kept.has(v)).map((v) => rm(join(dir, v), { recursive: true, force: true })));
  }

  private async authOf(d: Deployment): Promise<{ auth?: BasicAuth }> {
    const auth = await this.o.credentials?.of(d);
    return auth ? { auth } : {};
  }

  private async needSpace(dir: string, bytes: number, what: string): Promise<void> {
    const free = await this.o.freeBytes(dir);
    if (free < bytes) throw new DeployFailure('NO_SPACE', `${bytes} bytes needed ${what}, ${free} free`);
  }
}

/** The artifact to download: a URL with its digest (an image reference has nothing to download). */
export function urlArtifactOf(d: Deployment): Artifact {
  if (!d.artifact || !('url' in d.artifact)) throw new DeployFailure('DOWNLOAD', 'this deployment has no artifact to download');
  return d.artifact;
}
