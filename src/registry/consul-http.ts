// Consul's HTTP API, the few calls the provider needs (fetch, JSON, KV values in base64).
// Connection failures, time-outs and 5xx answers are UNAVAILABLE; other refusals are INTERNAL.
import { SmaError, unavailable } from '../errors.js';

export interface KvEntry {
  Key: string;
  /** base64, or null for a key without a value. */
  Value: string | null;
  ModifyIndex: number;
  CreateIndex: number;
}

export interface Answer<T> {
  body: T;
  /** X-Consul-Index: the index to block on for the next change. */
  index: number;
}

export class ConsulHttp {
  constructor(
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {}

  async get<T>(path: string, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<Answer<T> | undefined> {
    const res = await this.send('GET', path, undefined, signal, timeoutMs);
    if (res.status === 404) return undefined;
    return { body: (await res.json()) as T, index: Number(res.headers.get('x-consul-index') ?? 0) };
  }

  /** A PUT with a JSON body; false when Consul answered 404 (an unknown service id, say). */
  async put(path: string, body?: unknown): Promise<boolean> {
    const res = await this.send('PUT', path, body === undefined ? undefined : JSON.stringify(body));
    await res.text();
    return res.status !== 404;
  }

  /** The raw value of one key, with its ModifyIndex (0 when absent: `cas=0` then means "create"). */
  async kvGet(key: string): Promise<{ value: string | undefined; modifyIndex: number }> {
    const answer = await this.get<KvEntry[]>(`/v1/kv/${key}`);
    const entry = answer?.body[0];
    return entry ? { value: decode(entry.Value), modifyIndex: entry.ModifyIndex } : { value: undefined, modifyIndex: 0 };
  }

  /** Every key under a prefix with its raw value. */
  async kvList(prefix: string): Promise<Map<string, string | undefined>> {
    const answer = await this.get<KvEntry[]>(`/v1/kv/${prefix}?recurse=true`);
    return new Map((answer?.body ?? []).map((e) => [e.Key, decode(e.Value)]));
  }

  /** Check-and-set: true when written (the key's ModifyIndex still was `cas`). */
  async kvCas(key: string, value: string, cas: number): Promise<boolean> {
    const res = await this.send('PUT', `/v1/kv/${key}?cas=${cas}`, value);
    return (await res.text()).trim() === 'true';
  }

  private async send(method: string, path: string, body?: string, signal?: AbortSignal, timeoutMs = this.timeoutMs): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw unavailable(`consul ${this.base}: ${describe(err)}`);
    }
    if (res.ok || res.status === 404) return res;
    const text = (await res.text()).slice(0, 200);
    if (res.status >= 500) throw unavailable(`consul ${method} ${path}: ${res.status} ${text}`);
    throw new SmaError('INTERNAL', `consul ${method} ${path}: ${res.status} ${text}`);
  }
}

const decode = (value: string | null): string | undefined => (value === null ? undefined : Buffer.from(value, 'base64').toString('utf8'));

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
