// Gzip'd tarballs made in the test, byte by byte (ustar headers), so that hostile entries (`..`, absolute
// paths, links pointing out) can be written exactly as an attacker would; no tar tool tidies them up.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, at: number, len: number): void => void h.write(s, at, len, 'utf8');
  const octal = (n: number, len: number): string => n.toString(8).padStart(len - 1, '0') + '\0';
  if (Buffer.byteLength(e.path) > 100) throw new Error('test tarball paths stay under 100 bytes');
  put(e.path, 0, 100);
  put(octal(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put({ file: '0', dir: '5', symlink: '2', hardlink: '1' }[e.type ?? 'file'], 156, 1);
  if (e.linkpath) put(e.linkpath, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

export function tarball(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === undefined || e.type === 'file' ? Buffer.from(e.body ?? '') : Buffer.alloc(0);
    parts.push(header(e, body.length), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** An Ed25519 key pair; `signDigest` signs an artifact's SHA-256 digest as the contract says. */
export function signingKey(): { publicPem: string; signDigest: (artifact: Buffer) => string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey,
    signDigest: (artifact) => sign(null, createHash('sha256').update(artifact).digest(), privateKey).toString('base64'),
  };
}

/**
 * A release of the test service: `app.js` listens on `--port`, answers /health with its version, and with
 * `crashAfterMs` exits 1 that long after it started (a release that crashes after start); `failIfExists` exits
 * 1 at once while that file exists.
 */
export function release(version: string, options: { crashAfterMs?: number; extra?: TarEntry[]; failIfExists?: string } = {}): Buffer {
  const crash = options.crashAfterMs !== undefined ? `setTimeout(() => process.exit(1), ${options.crashAfterMs});` : '';
  // A release that fails to start while a file exists (a failure the test can take away between two Installs).
  const fail = options.failIfExists !== undefined ? `if (require('node:fs').existsSync(${JSON.stringify(options.failIfExists)})) process.exit(1);\n` : '';
  const app = `${fail}const http = require('node:http');
const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
const version = ${JSON.stringify(version)};
http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ status: 'UP', version }));
}).listen(port, '127.0.0.1');
${crash}
process.on('SIGTERM', () => process.exit(0));
`;
  return tarball([
    { path: 'app/', type: 'dir' },
    { path: 'app/app.js', body: app },
    { path: 'app/package.json', body: '{"type":"commonjs"}' },
    { path: 'app/VERSION', body: version },
    ...(options.extra ?? []),
  ]);
}
