// Fetches an artifact over http(s) straight to a file (never held in memory), resuming with Range after an
// interruption, and following redirects only to the same scheme and an allowed host.
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { abortedStep } from './cancel-rules.js';
import { DeployFailure } from './deployment.js';
import { garbageBound } from './garbage-bound.js';

export interface DownloadOptions {
  url: string;
  /** The partial file: what is already there is kept and asked for no more (Range). */
  file: string;
  /** Hosts a redirect may lead to besides loopback (`deploy.allowedHosts`). */
  allowedHosts: readonly string[];
  /**
   * The most bytes the artifact may have (`deploy.maxArtifactBytes`, or the request's `size` when smaller): a
   * server that announces more is refused before the body, and one that sends more (a chunked body that never
   * ends) is cut there, so that no server fills the gateway's disk.
   */
  maxBytes: number;
  /**
   * The whole download's time, attempts and pauses included (`deploy.downloadTimeoutMs`): a server that
   * trickles a byte now and then (never idle long enough to time out) would otherwise hold the service's one
   * deployment for ever.
   */
  timeoutMs?: number;
  /** Told the total (when the server says it) before the body is written: may refuse it (disk space). */
  beforeBody(total: number | undefined, have: number): Promise<void>;
  progress(bytes: number, total: number | undefined): void;
  /** Waits between attempts after an interruption. */
  pause(ms: number): Promise<void>;
  attempts?: number;
  idleTimeoutMs?: number;
  /** A cancel: the connection is cut at once, no attempt follows, and the download rejects with INTERRUPTED. */
  signal?: AbortSignal;
  /** HTTP Basic credentials (LwM2M object 9's User Name and Password): sent only to `url`'s own origin. */
  auth?: BasicAuth;
}

export interface BasicAuth {
  username: string;
  password: string;
}

const MAX_REDIRECTS = 5;

/** Downloads until the file holds the whole artifact; DOWNLOAD after the attempts, at once for a 4xx. */
export async function downloadArtifact(o: DownloadOptions): Promise<void> {
  const attempts = o.attempts ?? 5;
  const deadline = Date.now() + (o.timeoutMs ?? Infinity);
  for (let attempt = 1; ; attempt += 1) {
    try {
      if (o.signal?.aborted) throw abortedStep();
      if (Date.now() >= deadline) throw new FinalFailure('DOWNLOAD', `not done within ${o.timeoutMs} ms`);
      return await downloadOnce(o, deadline);
    } catch (err) {
      // Whatever the cut looked like (a reset, a short body), a cancelled download is not tried again.
      if (o.signal?.aborted) throw abortedStep();
      if (err instanceof DeployFailure && (err.code !== 'DOWNLOAD' || !retryable(err))) throw err;
      if (attempt >= attempts) throw new DeployFailure('DOWNLOAD', `${(err as Error).message} (after ${attempts} attempts)`);
      await untilAborted(o.pause(Math.min(30_000, 500 * 2 ** (attempt - 1))), o.signal);
    }
  }
}

class FinalFailure extends DeployFailure {}

/** `wait`, or an INTERRUPTED rejection as soon as `signal` aborts (the back-off between attempts). */
function untilAborted(wait: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return wait;
  if (signal.aborted) return Promise.reject(abortedStep());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortedStep());
    signal.addEventListener('abort', onAbort, { once: true });
    void wait.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
const retryable = (err: DeployFailure): boolean => !(err instanceof FinalFailure);

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function downloadOnce(o: DownloadOptions, deadline: number): Promise<void> {
  const have = await sizeOf(o.file);
  const res = await follow(o.url, have, o.allowedHosts, o.idleTimeoutMs ?? 30_000, o.signal, o.auth);
  let late = false;
  const timer = Number.isFinite(deadline)
    ? setTimeout(() => {
        late = true;
        res.destroy(new Error('the download took too long'));
      }, Math.max(0, deadline - Date.now()))
    : undefined;
  try {
    await receive(o, res, have);
  } catch (err) {
    if (late) throw new FinalFailure('DOWNLOAD', `not done within ${o.timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The response's body into the file, after `have` bytes already there. */
async function receive(o: DownloadOptions, res: IncomingMessage, have: number): Promise<void> {
  let from = 0;
  let total: number | undefined;
  if (res.statusCode === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
    if (!range || Number(range[1]) !== have) {
      res.resume();
      throw new DeployFailure('DOWNLOAD', `a range the agent did not ask for: ${res.headers['content-range']}`);
    }
    from = have;
    total = range[3] === '*' ? undefined : Number(range[3]);
  } else if (res.statusCode === 416 && have > 0) {
    res.resume();
    // Everything was there already: the range past the end is what a complete file gets.
    if (/\/(\d+)$/.exec(res.headers['content-range'] ?? '')?.[1] === String(have)) return o.progress(have, have);
    throw new DeployFailure('DOWNLOAD', 'the server refused the range of a partial download');
  } else if (res.statusCode === 200) {
    const length = res.headers['content-length'];
    total = length !== undefined ? Number(length) : undefined;
  } else {
    res.resume();
    const message = `HTTP ${res.statusCode} from ${redact(o.url)}`;
    throw res.statusCode !== undefined && res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 408 && res.statusCode !== 429
      ? new FinalFailure('DOWNLOAD', message)
      : new DeployFailure('DOWNLOAD', message);
  }
  if (total !== undefined && total > o.maxBytes) {
    res.destroy();
    throw new FinalFailure('DOWNLOAD', `the artifact has ${total} bytes, more than the ${o.maxBytes} allowed`);
  }
  try {
    await o.beforeBody(total, from);
  } catch (err) {
    res.destroy();
    throw err;
  }
  let bytes = from;
  let overrun = false;
  const bound = garbageBound();
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    bound(chunk.length);
    if (bytes > o.maxBytes && !overrun) {
      overrun = true;
      res.destroy(new Error(`more than the ${o.maxBytes} bytes allowed`));
      return;
    }
    o.progress(bytes, total);
  });
  try {
    await keepWhatArrives(res, createWriteStream(o.file, { flags: from > 0 ? 'a' : 'w' }));
  } catch (err) {
    if (overrun) throw new FinalFailure('DOWNLOAD', `the artifact is longer than the ${o.maxBytes} bytes allowed`);
    throw new DeployFailure('DOWNLOAD', `interrupted at ${bytes} bytes: ${(err as Error).message}`);
  }
  if (res.complete === false || (total !== undefined && bytes !== total)) throw new DeployFailure('DOWNLOAD', `interrupted at ${bytes} of ${total ?? '?'} bytes`);
}

/**
 * Pipes the body to the file; when the connection breaks, what arrived is still written out (a pipeline would
 * drop it), so that the next attempt asks only for the rest.
 */
function keepWhatArrives(res: IncomingMessage, file: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    let broken: Error | undefined;
    const cut = (err: Error): void => {
      if (broken) return;
      broken = err;
      res.unpipe(file);
      file.end();
    };
    res.once('error', cut);
    res.once('close', () => {
      if (!res.complete) cut(new Error('the connection closed early'));
    });
    file.once('error', (err) => {
      res.destroy();
      reject(err);
    });
    file.once('finish', () => (broken ? reject(broken) : resolve()));
    res.pipe(file);
  });
}

/** The response for `url` after at most MAX_REDIRECTS redirects, each to the same scheme and an allowed host. */
async function follow(url: string, have: number, allowedHosts: readonly string[], idleMs: number, signal: AbortSignal | undefined, auth?: BasicAuth): Promise<IncomingMessage> {
  let current = new URL(url);
  const origin = current.origin;
  for (let hop = 0; ; hop += 1) {
    // Credentials are for the server the URI names: a redirect elsewhere (another host, port or scheme) gets none.
    const res = await get(current, have, idleMs, signal, auth && current.origin === origin ? auth : undefined);
    const location = res.headers.location;
    if (res.statusCode === undefined || res.statusCode < 300 || res.statusCode >= 400 || res.statusCode === 304 || !location) return res;
    res.resume();
    if (hop >= MAX_REDIRECTS) throw new FinalFailure('DOWNLOAD', `more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, current);
    if (next.protocol !== current.protocol) throw new FinalFailure('DOWNLOAD', `a redirect from ${current.protocol} to ${next.protocol} is refused`);
    if (!hostAllowed(next.hostname, allowedHosts)) throw new FinalFailure('DOWNLOAD', `a redirect to ${next.hostname} is refused (not loopback, not in deploy.allowedHosts)`);
    current = next;
  }
}

export function hostAllowed(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  return allowedHosts.some((h) => h.toLowerCase() === host);
}

async function get(url: URL, have: number, idleMs: number, signal: AbortSignal | undefined, auth?: BasicAuth): Promise<IncomingMessage> {
  // Loaded per scheme: an http-only gateway never loads TLS for this.
  const client = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  return new Promise((resolve, reject) => {
    // The signal destroys the request, and with it the response it may already have given (its body stops).
    const req = client.get(url, { headers, ...(signal ? { signal } : {}) }, resolve);
    req.setTimeout(idleMs, () => req.destroy(new Error(`no data for ${idleMs} ms`)));
    req.once('error', (err) => reject(new DeployFailure('DOWNLOAD', `${redact(url.href)}: ${err.message}`)));
  });
}

/** A URL for logs and errors: without user, password or query (they may carry tokens). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(a URL)';
  }
}
