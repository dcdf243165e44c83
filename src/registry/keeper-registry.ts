// registry.type keeper: EdgeX 4 Core Keeper (or another sma-bridge serving its API) over its v3 REST API.
// Keeper's registry says which services exist and which are deregistered (status HALT); its KV under the
// prefix holds what the agent owns per service: `services/{name}` (record JSON), `config/{name}`,
// `ids/{name}` and `meta/next-instance-id`. No cache: every read asks Keeper. Keeper's KV has no
// check-and-set, so two agents sharing one Keeper could hand out one instance id twice (README).
import type { Logger } from 'pino';
import { SmaError } from '../errors.js';
import type { Check, RegistryKind, ServiceRecord, ServiceRegistration } from '../model.js';
import type { ExternalRegistry } from './external-registry.js';
import { KeeperHttp, type KeeperRegistrationDto } from './keeper-http.js';
import type { RecordPatch } from './registry.js';
import { Serial } from './serial.js';
import { newRecord, patched, reRegistered } from './service-record.js';
import { assemble, isServiceName, parseConfig, parseStored, toStored } from './stored-record.js';

export interface KeeperRegistryOptions {
  /** registry.keeper.url, e.g. http://127.0.0.1:59890 */
  url: string;
  /** KV prefix (default `sma-bridge`). */
  kvPrefix?: string;
  callTimeoutMs?: number;
  log: Logger;
}

export class KeeperRegistry implements ExternalRegistry {
  readonly kind: RegistryKind = 'KEEPER';
  private readonly http: KeeperHttp;
  private readonly kv: string;
  private readonly serial = new Serial();

  constructor(private readonly options: KeeperRegistryOptions) {
    this.http = new KeeperHttp(options.url.replace(/\/$/, ''), options.callTimeoutMs ?? 2000);
    this.kv = options.kvPrefix ?? 'sma-bridge';
  }

  async list(): Promise<ServiceRecord[]> {
    const [registrations, kv] = await Promise.all([this.http.registrations(), this.http.values(this.kv)]);
    const byName = new Map(registrations.filter((r) => isServiceName(r.serviceId)).map((r) => [r.serviceId, r]));
    const names = new Set(byName.keys());
    for (const k of kv.keys()) if (k.startsWith(this.key('services', ''))) names.add(k.slice(this.key('services', '').length));
    const records: ServiceRecord[] = [];
    for (const name of [...names].sort()) {
      const record = this.assembleFrom(name, byName.get(name), kv);
      if (record) records.push(record);
    }
    return records;
  }

  async get(name: string): Promise<ServiceRecord | undefined> {
    if (!isServiceName(name)) return undefined;
    const [registration, kv] = await Promise.all([this.http.registration(name), this.http.values(this.kv)]);
    return this.assembleFrom(name, registration, kv);
  }

  register(reg: ServiceRegistration): Promise<ServiceRecord> {
    return this.serial.run(async () => {
      const current = await this.get(reg.name);
      const next = current ? reRegistered(current, reg) : newRecord(reg, await this.allocateId(reg.name), 'REGISTRY');
      await this.write(next);
      return next;
    });
  }

  deregister(name: string): Promise<ServiceRecord | undefined> {
    return this.update(name, { halted: true });
  }

  update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined> {
    return this.serial.run(async () => {
      const current = await this.get(name);
      if (!current) return undefined;
      const next = patched(current, patch);
      await this.write(next);
      return next;
    });
  }

  async ping(): Promise<void> {
    await this.http.ping();
  }

  async close(): Promise<void> {
    await this.serial.run(async () => undefined);
  }

  private async write(record: ServiceRecord): Promise<void> {
    await this.http.put(this.key('services', record.name), JSON.stringify(toStored(record)));
    await this.http.put(this.key('config', record.name), JSON.stringify(record.config));
    await this.http.register(toDto(record));
  }

  private assembleFrom(name: string, registration: KeeperRegistrationDto | undefined, kv: Map<string, string>): ServiceRecord | undefined {
    const state = kv.get(this.key('services', name));
    const stored = state !== undefined ? parseStored(state) : registration ? fromDto(registration) : undefined;
    if (stored === undefined) return undefined;
    if (typeof stored === 'string') {
      this.options.log.warn({ key: this.key('services', name), why: stored }, 'keeper: ignoring an unusable service record');
      return undefined;
    }
    // Keeper's word on presence wins: HALT there (or no registration at all) is deregistered here.
    stored.halted = !registration || registration.status?.toUpperCase() === 'HALT';
    const id = Number(kv.get(this.key('ids', name)));
    return assemble(name, stored, parseConfig(kv.get(this.key('config', name))), Number.isInteger(id) ? id : 0);
  }

  private async allocateId(name: string): Promise<number> {
    const kv = await this.http.values(this.kv);
    const known = kv.get(this.key('ids', name));
    if (known !== undefined) return Number(known);
    const next = Number(kv.get(this.key('meta', 'next-instance-id')) ?? 0);
    if (next > 65534) throw new SmaError('INTERNAL', 'no LwM2M instance id left (65535 names registered)');
    await this.http.put(this.key('meta', 'next-instance-id'), String(next + 1));
    await this.http.put(this.key('ids', name), String(next));
    return next;
  }

  private key(kind: 'services' | 'config' | 'ids' | 'meta', name: string): string {
    return `${this.kv}/${kind}/${name}`;
  }
}

/** What Keeper shows of a record: address, status and its http check as host:port + path. */
function toDto(record: ServiceRecord): KeeperRegistrationDto {
  const { check } = record;
  const healthCheck: KeeperRegistrationDto['healthCheck'] =
    check.type === 'http' ? { type: 'http', path: new URL(check.url).pathname, interval: `${Math.max(1, Math.round((check.intervalMs ?? 10_000) / 1000))}s` } : { type: check.type };
  return { serviceId: record.name, status: record.halted ? 'HALT' : 'UNKNOWN', host: record.host ?? '', port: record.port ?? 0, healthCheck };
}

/** A registration made by an EdgeX service itself (no agent state yet): its http check, default state. */
function fromDto(r: KeeperRegistrationDto): ReturnType<typeof parseStored> {
  const check: Check =
    r.healthCheck?.type?.toLowerCase() === 'http' && r.host && r.port ? { type: 'http', url: `http://${r.host}:${r.port}${r.healthCheck.path ?? '/'}` } : { type: 'none' };
  return {
    ...(r.host ? { host: r.host } : {}),
    ...(r.port ? { port: r.port } : {}),
    check,
    plugin: false,
    desired: 'RUNNING',
    failed: false,
    restarts: 0,
    halted: false,
  };
}
