// The few Core Keeper v3 calls the keeper provider needs (fetch, JSON). Connection failures, time-outs and
// 5xx answers are UNAVAILABLE; other refusals are INTERNAL; 404 is an answer (undefined).
import { SmaError, unavailable } from '../errors.js';

export interface KeeperRegistrationDto {
  serviceId: string;
  status?: string;
  host?: string;
  port?: number;
  healthCheck?: { type?: string; path?: string; interval?: string };
}

export class KeeperHttp {
  constructor(
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {}

  async ping(): Promise<void> {
    await this.send('GET', '/ping');
  }

  async registrations(): Promise<KeeperRegistrationDto[]> {
    const body = (await this.send('GET', '/registry/all?deregistered=true')) as { registrations?: KeeperRegistrationDto[] } | undefined;
    return body?.registrations ?? [];
  }

  async registration(serviceId: string): Promise<KeeperRegistrationDto | undefined> {
    const body = (await this.send('GET', `/registry/serviceId/${encodeURIComponent(serviceId)}`)) as { registration?: KeeperRegistrationDto } | undefined;
    return body?.registration;
  }

  /** POST for a new id, PUT for a known one, as go-mod-registry does. */
  async register(dto: KeeperRegistrationDto): Promise<void> {
    const known = await this.registration(dto.serviceId);
    await this.send(known ? 'PUT' : 'POST', '/registry', { apiVersion: 'v3', registration: dto });
  }

  /** Plaintext values of every key under `prefix` (empty when none). */
  async values(prefix: string): Promise<Map<string, string>> {
    const body = (await this.send('GET', `/kvs/key/${escapeKey(prefix)}?plaintext=true`)) as { response?: Array<{ key: string; value: unknown }> } | undefined;
    return new Map((body?.response ?? []).map((e) => [e.key, typeof e.value === 'string' ? e.value : JSON.stringify(e.value)]));
  }

  async put(key: string, value: string): Promise<void> {
    await this.send('PUT', `/kvs/key/${escapeKey(key)}?flatten=false`, { value });
  }

  private async send(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v3${path}`, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw unavailable(`keeper ${this.base}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 404) return undefined;
    if (res.status >= 500) throw unavailable(`keeper ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    if (!res.ok) throw new SmaError('INTERNAL', `keeper ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }
}

/** EdgeX's clients escape each segment of a key and keep the slashes. */
const escapeKey = (key: string): string => key.split('/').map(encodeURIComponent).join('/');
