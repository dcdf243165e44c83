// A real HTTP artifact server on loopback for the tests: files by path, Range requests, redirects, and
// connections cut after some bytes (to prove resumption) or slowed down (to widen a crash window).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body: Buffer;
  /** Cut the connection after this many bytes, this many times. */
  cutAfter?: number;
  cuts?: number;
  /** Send at most this many bytes a second (in 16 KiB pieces). */
  bytesPerSecond?: number;
  /** HTTP Basic credentials the file is behind (401 without them). */
  basicAuth?: { username: string; password: string };
}

export class ArtifactServer {
  readonly files = new Map<string, ServedFile>();
  readonly redirects = new Map<string, string>();
  /** Every request's path, Range and Authorization headers, in order. */
  readonly requests: Array<{ path: string; range?: string; authorization?: string }> = [];
  private server!: Server;
  port = 0;

  static async start(): Promise<ArtifactServer> {
    const s = new ArtifactServer();
    s.server = createServer((req, res) => s.serve(req.url ?? '/', req.headers.range, res, req.headers.authorization));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  private serve(path: string, range: string | undefined, res: import('node:http').ServerResponse, authorization?: string): void {
    this.requests.push({ path, ...(range ? { range } : {}), ...(authorization ? { authorization } : {}) });
    const to = this.redirects.get(path);
    if (to) {
      res.writeHead(302, { location: to }).end();
      return;
    }
    const file = this.files.get(path);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const { basicAuth } = file;
    if (basicAuth && authorization !== `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}`) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="artifacts"' }).end();
      return;
    }
    let start = 0;
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) start = Number(m[1]);
    if (start >= file.body.length && m) {
      res.writeHead(416, { 'content-range': `bytes */${file.body.length}` }).end();
      return;
    }
    const body = file.body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${file.body.length - 1}/${file.body.length}` } : {}),
    });
    const cut = file.cutAfter !== undefined && (file.cuts ?? 1) > 0;
    if (cut) file.cuts = (file.cuts ?? 1) - 1;
    const limit = cut ? Math.max(0, file.cutAfter! - start) : body.length;
    const piece = 16_384;
    let at = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (at >= limit) {
        if (cut) res.destroy();
        else res.end();
        return;
      }
      const end = Math.min(limit, at + piece);
      res.write(body.subarray(at, end));
      at = end;
      // Read at each piece: a test may speed a slowed download up while it runs.
      const delay = file.bytesPerSecond ? (piece / file.bytesPerSecond) * 1000 : 0;
      if (delay) setTimeout(next, delay);
      else setImmediate(next);
    };
    next();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
