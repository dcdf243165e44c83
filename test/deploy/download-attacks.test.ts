// A hostile artifact server against the download step (CONTRACT 13): redirects to a host that is not
// allowed, to file:, from http to https; a body that never ends; a length beyond the limit; more bytes than
// the request's `size`. Real HTTP over loopback (node:http servers written to misbehave), the real download.
import { mkdirSync, mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadArtifact, type DownloadOptions } from '../../src/deploy/artifact-download.js';
import { DeployFailure, type Deployment } from '../../src/deploy/deployment.js';
import { ArtifactSteps, artifactFile, downloadsDir } from '../../src/deploy/artifact-steps.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('the artifact download against a hostile server', () => {
  let server: Server;
  let port: number;
  let handler: Handler = (_req, res) => void res.writeHead(404).end();
  const requests: string[] = [];
  let dir: string;
  const url = (path: string): string => `http://127.0.0.1:${port}${path}`;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(() => {
    requests.length = 0;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const download = async (path: string, extra: Partial<DownloadOptions> = {}): Promise<{ error?: DeployFailure; file: string }> => {
    dir = mkdtempSync(join(tmpdir(), 'sma-download-attack-'));
    const file = join(dir, 'artifact.tgz');
    try {
      await downloadArtifact({ url: url(path), file, allowedHosts: [], maxBytes: 1 << 20, beforeBody: async () => undefined, progress: () => undefined, pause: async () => undefined, attempts: 3, idleTimeoutMs: 5_000, ...extra });
      return { file };
    } catch (err) {
      expect(err).toBeInstanceOf(DeployFailure);
      return { error: err as DeployFailure, file };
    }
  };
  const redirectTo = (location: string): Handler => (req, res) => {
    if (req.url === '/start') return void res.writeHead(302, { location }).end();
    res.writeHead(200, { 'content-length': '2' }).end('ok');
  };

  it('follows a redirect on loopback (the positive control)', async () => {
    handler = redirectTo('/final');
    const { error, file } = await download('/start');
    expect(error).toBeUndefined();
    expect(statSync(file).size).toBe(2);
  });

  it('refuses a redirect to a host not in deploy.allowedHosts, to file:, and from http to https, at once (no retry)', async () => {
    for (const location of ['http://evil.example/x.tgz', 'http://10.1.2.3/x.tgz', 'file:///etc/shadow', `https://127.0.0.1:${port}/final`]) {
      handler = redirectTo(location);
      const { error } = await download('/start');
      expect(error?.code, location).toBe('DOWNLOAD');
      expect(error?.message, location).toMatch(/refused/);
      expect(requests, location).toEqual(['/start']);
      requests.length = 0;
    }
  });

  it('cuts a body that never ends at maxBytes, FAILED at once, and the file stays bounded', async () => {
    handler = (_req, res) => {
      res.writeHead(200); // chunked, no length: a body that never ends
      const piece = Buffer.alloc(64 * 1024, 1);
      const more = (): void => {
        if (res.destroyed) return;
        if (res.write(piece)) setImmediate(more);
        else res.once('drain', more);
      };
      more();
    };
    const { error, file } = await download('/endless');
    expect(error?.code).toBe('DOWNLOAD');
    expect(error?.message).toMatch(/longer than the 1048576 bytes allowed/);
    expect(requests).toEqual(['/endless']); // not retried
    expect(existsSync(file) ? statSync(file).size : 0).toBeLessThanOrEqual((1 << 20) + 64 * 1024);
  });

  it('ends a download that trickles (never idle long enough to time out) at the download timeout, without retries', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write('x')), 100);
      res.once('close', () => clearInterval(drip));
    };
    const started = Date.now();
    const { error } = await download('/trickle', { idleTimeoutMs: 1_000, timeoutMs: 1_500 });
    expect(error?.message).toMatch(/not done within 1500 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(requests).toEqual(['/trickle']);
  });

  it('refuses an announced length beyond maxBytes before writing any of the body', async () => {
    let beforeBodyCalled = false;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': String(10 << 20) });
      res.write(Buffer.alloc(1024));
    };
    const { error, file } = await download('/huge', { beforeBody: async () => void (beforeBodyCalled = true) });
    expect(error?.message).toMatch(/10485760 bytes, more than the 1048576 allowed/);
    expect(beforeBodyCalled).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it('ends a detached signature (LwM2M object 9, no digest) that trickles at the download timeout: INTEGRITY', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '88' });
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write('A')), 100);
      res.once('close', () => clearInterval(drip));
    };
    dir = mkdtempSync(join(tmpdir(), 'sma-signature-attack-'));
    const steps = new ArtifactSteps({ dataDir: dir, allowedHosts: [], maxArtifactBytes: 1 << 20, downloadTimeoutMs: 1_500, signatures: { trustedKeys: [], requireSignature: false }, freeBytes: async () => 1 << 30, pause: async () => undefined, progress: () => undefined });
    const d = { deploymentId: 'd1', name: 'app', version: '2', artifact: { url: url('/a.tgz'), signatureUrl: url('/a.tgz.sig') } } as unknown as Deployment;
    mkdirSync(downloadsDir(dir), { recursive: true });
    writeFileSync(artifactFile(dir, d), 'the artifact');
    const started = Date.now();
    const error = await steps.verify(d).then(() => undefined, (err: DeployFailure) => err);
    expect(error?.code).toBe('INTEGRITY');
    expect(error?.message).toMatch(/not done within 1500 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
