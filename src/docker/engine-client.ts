// The Docker Engine API over its unix socket, with Node's own http (no client library: dockerode brings
// docker-modem, ssh2 with native crypto and tar-fs for a handful of JSON calls this module makes itself).
// Only this module speaks the Engine API; executors and deployments use its calls.
import { request, type IncomingMessage } from 'node:http';

/** The newest API version this client is written against; the engine's own is used when it is older. */
export const CLIENT_API_VERSION = '1.43';
/** `one-shot` stats appeared in 1.41. */
const ONE_SHOT_SINCE = '1.41';
/** Engine answers are small JSON documents; anything larger is cut off as an error, not buffered without end. */
const MAX_BODY = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

/** The engine answered with an error status; `message` is the engine's own. */
export class EngineError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The engine could not be reached at all (no socket, refused, reset). */
export class EngineUnreachable extends Error {}

export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; StartedAt: string; FinishedAt: string; OOMKilled?: boolean };
  HostConfig: { RestartPolicy?: { Name?: string; MaximumRetryCount?: number } };
  Config?: { Tty?: boolean };
}

export interface ContainerStats {
  read?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; stats?: Record<string, number> };
}

export interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** One message of the event stream (only the fields read here). */
export interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export interface EventStream {
  close(): void;
}

export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

export class DockerEngine {
  private negotiated: Promise<string> | undefined;

  constructor(readonly socketPath: string) {}

  /** The API version both sides speak: the engine's (from /version) when older than ours. Asked once per connection life. */
  apiVersion(): Promise<string> {
    this.negotiated ??= this.raw('GET', '/version').then(
      ({ body }) => {
        const theirs = String((body as { ApiVersion?: unknown }).ApiVersion ?? CLIENT_API_VERSION);
        return compareVersions(theirs, CLIENT_API_VERSION) < 0 ? theirs : CLIENT_API_VERSION;
      },
      (err: unknown) => {
        this.negotiated = undefined;
        throw err;
      },
    );
    return this.negotiated;
  }

  /** Forget the negotiated version (the engine may have been replaced by another one). */
  renegotiate(): void {
    this.negotiated = undefined;
  }

  async ping(): Promise<void> {
    await this.raw('GET', '/_ping', undefined, 2_000, false);
  }

  async inspect(container: string): Promise<ContainerInspect> {
    return (await this.call('GET', `/containers/${enc(container)}/json`)) as ContainerInspect;
  }

  /** Resolves when started, or already running (304). */
  async start(container: string): Promise<void> {
    await this.call('POST', `/containers/${enc(container)}/start`);
  }

  /** SIGTERM (or the image's stop signal), SIGKILL after `graceS`; already stopped (304) is fine. */
  async stop(container: string, graceS: number): Promise<void> {
    await this.call('POST', `/containers/${enc(container)}/stop?t=${graceS}`, undefined, graceS * 1000 + DEFAULT_TIMEOUT_MS);
  }

  async restart(container: string, graceS: number): Promise<void> {
    await this.call('POST', `/containers/${enc(container)}/restart?t=${graceS}`, undefined, graceS * 1000 + DEFAULT_TIMEOUT_MS);
  }

  /** One stats sample. One-shot (no wait for a second sample, no precpu) where the engine has it, else stream=false (about 1 s). */
  async stats(container: string, oneShot: boolean): Promise<ContainerStats> {
    const canOneShot = compareVersions(await this.apiVersion(), ONE_SHOT_SINCE) >= 0;
    const query = oneShot && canOneShot ? 'stream=false&one-shot=true' : 'stream=false';
    return (await this.call('GET', `/containers/${enc(container)}/stats?${query}`)) as ContainerStats;
  }

  /** For deployments: a container made from `config` (the Engine's ContainerCreate body). */
  async create(container: string, config: Record<string, unknown>): Promise<{ Id: string }> {
    return (await this.call('POST', `/containers/create?name=${enc(container)}`, config)) as { Id: string };
  }

  async remove(container: string, force = false): Promise<void> {
    await this.call('DELETE', `/containers/${enc(container)}?force=${force}`);
  }

  async rename(container: string, to: string): Promise<void> {
    await this.call('POST', `/containers/${enc(container)}/rename?name=${enc(to)}`);
  }

  /**
   * The event stream (newline-separated JSON), filtered by `filters`. `onEnd` is called once when the stream
   * ends or fails for any reason but close().
   */
  async events(filters: Record<string, string[]>, onEvent: (e: EngineEvent) => void, onEnd: (err?: Error) => void): Promise<EventStream> {
    const version = await this.apiVersion();
    return new Promise((resolve, reject) => {
      let closed = false;
      let ended = false;
      const end = (err?: Error): void => {
        if (ended || closed) return;
        ended = true;
        onEnd(err);
      };
      const req = request({ socketPath: this.socketPath, method: 'GET', path: `/v${version}/events?filters=${enc(JSON.stringify(filters))}` }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          res.resume();
          reject(new EngineError(res.statusCode ?? 500, `events: HTTP ${res.statusCode}`));
          return;
        }
        resolve({
          close: () => {
            closed = true;
            req.destroy();
          },
        });
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as EngineEvent);
            } catch {
              /* a line that is not JSON is not an event */
            }
          }
          if (buffer.length > MAX_BODY) req.destroy(new Error('event line too long'));
        });
        res.on('end', () => end());
        res.on('error', (err) => end(err));
        res.on('close', () => end());
      });
      req.on('error', (err) => {
        if (!ended && !closed) reject(unreachable(this.socketPath, err));
        end(err);
      });
      req.end();
    });
  }

  /**
   * A running container's output from now on (`follow`, `tail=0`), as raw frames: without a TTY the engine
   * multiplexes stdout and stderr with an 8-byte header per frame (see container-logs.ts). Ends when the
   * container stops.
   */
  async logs(container: string, onData: (chunk: Buffer) => void, onEnd: () => void): Promise<EventStream> {
    const version = await this.apiVersion();
    return new Promise((resolve, reject) => {
      let closed = false;
      const req = request({ socketPath: this.socketPath, method: 'GET', path: `/v${version}/containers/${enc(container)}/logs?follow=1&stdout=1&stderr=1&tail=0` }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          res.resume();
          reject(new EngineError(res.statusCode ?? 500, `logs of ${container}: HTTP ${res.statusCode}`));
          return;
        }
        resolve({ close: () => ((closed = true), req.destroy()) });
        res.on('data', onData);
        res.on('close', () => closed || onEnd());
      });
      req.on('error', (err) => reject(unreachable(this.socketPath, err)));
      req.end();
    });
  }

  /** A versioned call; the engine's error answers become EngineError with its message. */
  private async call(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<unknown> {
    const version = await this.apiVersion();
    return (await this.raw(method, `/v${version}${path}`, body, timeoutMs)).body;
  }

  private raw(method: string, path: string, body?: unknown, timeoutMs = DEFAULT_TIMEOUT_MS, json = true): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          timeout: timeoutMs,
          headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
        },
        (res) => {
          readBody(res).then((text) => {
            const status = res.statusCode ?? 500;
            const parsed = json && text ? parseJson(text) : text;
            if (status >= 400) {
              const message = (parsed as { message?: unknown } | undefined)?.message;
              reject(new EngineError(status, typeof message === 'string' ? message : `HTTP ${status}`));
            } else resolve({ status, body: parsed });
          }, reject);
        },
      );
      req.on('timeout', () => req.destroy(new EngineUnreachable(`the Docker engine at ${this.socketPath} did not answer ${method} ${path} within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof EngineUnreachable ? err : unreachable(this.socketPath, err)));
      req.end(payload);
    });
  }
}

function unreachable(socketPath: string, err: Error): EngineUnreachable {
  return new EngineUnreachable(`cannot reach the Docker engine at ${socketPath}: ${err.message}`);
}

function enc(part: string): string {
  return encodeURIComponent(part);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 512) };
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) return void res.destroy(new Error(`answer larger than ${MAX_BODY} bytes`));
      chunks.push(chunk);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
