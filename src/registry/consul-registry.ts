// registry.type consul, over Consul's HTTP API. The catalog says which services exist (registered with
// the check shape EdgeX services use); KV under the prefix holds what the agent owns per service:
// `services/{name}` (record JSON), `config/{name}`, `ids/{name}` and `meta/next-instance-id`.
// No cache: every read asks Consul. A name in KV but not in the catalog reads as halted (deregistered,
// or reaped by Consul after DeregisterCriticalServiceAfter); a name only in the catalog was registered
// by someone else and gets default state and check `none` (Consul's own checks watch it).
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { SmaError, unavailable } from '../errors.js';
import type { RegistryKind, ServiceRecord, ServiceRegistration } from '../model.js';
import { fromCatalog, isOurs, serviceDefinition, type CatalogEntry, type CheckTiming } from './consul-catalog.js';
import { ConsulHttp } from './consul-http.js';
import { ConsulCatalogWatch } from './consul-watch.js';
import type { ExternalRegistry } from './external-registry.js';
import type { RecordPatch } from './registry.js';
import { idNotRequested } from './service-record.js';
import { Serial } from './serial.js';
import { newRecord, patched, reRegistered } from './service-record.js';
import { assemble, parseConfig, parseStored, toStored, type StoredRecord } from './stored-record.js';

export interface ConsulRegistryOptions {
  /** registry.consul.url, e.g. http://127.0.0.1:8500 */
  url: string;
  /** KV prefix (default `sma-bridge/`). */
  kvPrefix?: string;
  /** Interval and timeout of the HTTP check Consul runs for an `http` service (health.intervalMs / timeoutMs). */
  checkIntervalMs?: number;
  checkTimeoutMs?: number;
  /** Consul removes a service whose check stays critical this long (Go duration, default `30m`). */
  deregisterCriticalAfter?: string;
  callTimeoutMs?: number;
  /** Blocking-query wait of the catalog watch, seconds (default 30). */
  watchWaitS?: number;
  clock?: Clock;
  log: Logger;
}

interface Snapshot {
  record: ServiceRecord | undefined;
  stateIndex: number;
  configIndex: number;
  inCatalog: boolean;
  serviceId: string;
}

const CAS_ATTEMPTS = 20;

export class ConsulRegistry implements ExternalRegistry {
  readonly kind: RegistryKind = 'CONSUL';
  private readonly http: ConsulHttp;
  private readonly kv: string;
  private readonly serial = new Serial();
  private readonly listeners: Array<() => void> = [];
  private readonly warned = new Set<string>();
  private watch: ConsulCatalogWatch | undefined;
  /** Catalog names as this agent believes them; a watch answer that differs is someone else's doing. */
  private known: Set<string> | undefined;
  private readonly checkTiming: CheckTiming;

  constructor(private readonly options: ConsulRegistryOptions) {
    this.http = new ConsulHttp(options.url.replace(/\/$/, ''), options.callTimeoutMs ?? 2000);
    this.kv = options.kvPrefix ?? 'sma-bridge/';
    this.checkTiming = {
      intervalMs: options.checkIntervalMs ?? 10_000,
      timeoutMs: options.checkTimeoutMs ?? 2_000,
      deregisterCriticalAfter: options.deregisterCriticalAfter ?? '30m',
    };
  }

  async list(): Promise<ServiceRecord[]> {
    const [catalog, kv] = await Promise.all([this.http.get<Record<string, string[]>>('/v1/catalog/services'), this.http.kvList(this.kv)]);
    const inCatalog = new Set(Object.keys(catalog?.body ?? {}).filter(isOurs));
    const names = new Set(inCatalog);
    for (const k of kv.keys()) if (k.startsWith(this.key('services', ''))) names.add(k.slice(this.key('services', '').length));
    const records: ServiceRecord[] = [];
    for (const name of [...names].sort()) {
      const state = kv.get(this.key('services', name));
      const stored = state !== undefined ? this.parse(name, state) : fromCatalog((await this.catalogEntry(name))?.entry);
      if (!stored) continue;
      if (!inCatalog.has(name)) stored.halted = true;
      const id = kv.get(this.key('ids', name));
      records.push(assemble(name, stored, parseConfig(kv.get(this.key('config', name))), id !== undefined ? Number(id) : await this.idOf(name)));
    }
    this.known = inCatalog;
    return records;
  }

  async get(name: string): Promise<ServiceRecord | undefined> {
    return (await this.read(name)).record;
  }

  register(reg: ServiceRegistration): Promise<ServiceRecord> {
    return this.modify(reg.name, async (current) => (current ? reRegistered(current, reg) : newRecord(reg, await idNotRequested(reg, () => this.idOf(reg.name)), 'REGISTRY'))) as Promise<ServiceRecord>;
  }

  deregister(name: string): Promise<ServiceRecord | undefined> {
    return this.update(name, { halted: true });
  }

  update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined> {
    return this.modify(name, async (current) => current && patched(current, patch));
  }

  onExternalChange(listener: () => void): void {
    this.listeners.push(listener);
    this.watch ??= new ConsulCatalogWatch(this.http, (names) => this.catalogChanged(names), {
      waitS: this.options.watchWaitS ?? 30,
      retryMs: 1000,
      clock: this.options.clock ?? systemClock,
    });
    this.watch.start();
  }

  async ping(): Promise<void> {
    const leader = await this.http.get<string>('/v1/status/leader');
    if (!leader?.body) throw unavailable(`consul ${this.options.url}: no cluster leader`);
  }

  async close(): Promise<void> {
    this.watch?.close();
    await this.serial.run(async () => undefined);
  }

  private modify(name: string, change: (current: ServiceRecord | undefined) => Promise<ServiceRecord | undefined>): Promise<ServiceRecord | undefined> {
    return this.serial.run(async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const snap = await this.read(name);
        const next = await change(snap.record);
        if (!next) return undefined;
        await this.syncCatalog(snap, next);
        if (!(await this.http.kvCas(this.key('services', name), JSON.stringify(toStored(next)), snap.stateIndex))) continue;
        const configChanged = JSON.stringify(next.config) !== JSON.stringify(snap.record?.config ?? {}) || snap.configIndex === 0;
        if (configChanged && !(await this.http.kvCas(this.key('config', name), JSON.stringify(next.config), snap.configIndex))) continue;
        return next;
      }
      throw new SmaError('INTERNAL', `consul: could not update ${name} (too much contention)`);
    });
  }

  /** Registers with or deregisters from the Consul agent when the record's presence or definition changed. */
  private async syncCatalog(snap: Snapshot, next: ServiceRecord): Promise<void> {
    if (next.halted) {
      if (!snap.inCatalog) return;
      this.known?.delete(next.name);
      await this.http.put(`/v1/agent/service/deregister/${encodeURIComponent(snap.serviceId)}`);
      return;
    }
    const definition = serviceDefinition(next, this.checkTiming);
    if (snap.inCatalog && snap.record && JSON.stringify(serviceDefinition(snap.record, this.checkTiming)) === JSON.stringify(definition)) return;
    // Known before the PUT: the watch may see the change before the PUT's answer arrives.
    this.known?.add(next.name);
    await this.http.put('/v1/agent/service/register', definition);
  }

  private async read(name: string): Promise<Snapshot> {
    const [catalog, state, config, id] = await Promise.all([
      this.catalogEntry(name),
      this.http.kvGet(this.key('services', name)),
      this.http.kvGet(this.key('config', name)),
      this.http.kvGet(this.key('ids', name)),
    ]);
    const base = { stateIndex: state.modifyIndex, configIndex: config.modifyIndex, inCatalog: catalog !== undefined, serviceId: catalog?.entry.ServiceID ?? name };
    if (state.value === undefined && !catalog) return { ...base, record: undefined };
    const stored = state.value !== undefined ? this.parse(name, state.value) : fromCatalog(catalog?.entry);
    if (!stored) return { ...base, record: undefined };
    if (!catalog) stored.halted = true;
    const instanceId = id.value !== undefined ? Number(id.value) : await this.idOf(name);
    return { ...base, record: assemble(name, stored, parseConfig(config.value), instanceId) };
  }

  private async catalogEntry(name: string): Promise<{ entry: CatalogEntry } | undefined> {
    if (!isOurs(name)) return undefined;
    const answer = await this.http.get<CatalogEntry[]>(`/v1/catalog/service/${encodeURIComponent(name)}`);
    const entry = answer?.body[0];
    return entry && { entry };
  }

  /** Allocates once per name: the counter moves by check-and-set, the name's key is created only if absent. */
  private async idOf(name: string): Promise<number> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const [known, counter] = await Promise.all([this.http.kvGet(this.key('ids', name)), this.http.kvGet(this.key('meta', 'next-instance-id'))]);
      if (known.value !== undefined) return Number(known.value);
      const next = counter.value !== undefined ? Number(counter.value) : 0;
      if (next > 65534) throw new SmaError('INTERNAL', 'no LwM2M instance id left (65535 names registered)');
      if (!(await this.http.kvCas(this.key('meta', 'next-instance-id'), String(next + 1), counter.modifyIndex))) continue;
      // When another client gave this name an id in between, `next` is skipped (ids stay unique) and theirs is read.
      if (await this.http.kvCas(this.key('ids', name), String(next), 0)) return next;
    }
    throw new SmaError('INTERNAL', `consul: could not allocate an instance id for ${name} (too much contention)`);
  }

  private catalogChanged(names: Set<string>): void {
    const ours = new Set([...names].filter(isOurs));
    const before = this.known;
    this.known = ours;
    if (!before || (before.size === ours.size && [...ours].every((n) => before.has(n)))) return;
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.options.log.error({ err }, 'registry change listener failed');
      }
    }
  }

  private parse(name: string, json: string): StoredRecord | undefined {
    const stored = parseStored(json);
    if (typeof stored !== 'string') return stored;
    if (!this.warned.has(name + json)) {
      this.warned.add(name + json);
      this.options.log.warn({ key: this.key('services', name), why: stored }, 'consul: ignoring an unusable service record');
    }
    return undefined;
  }

  private key(kind: 'services' | 'config' | 'ids' | 'meta', name: string): string {
    return `${this.kv}${kind}/${name}`;
  }
}
