// registry.type etcd (npm etcd3). Under the prefix: `services/{name}` (record JSON), `config/{name}`
// (config JSON), `ids/{name}` and `meta/next-instance-id` (LwM2M instance ids, allocated in a
// transaction), `alive/{name}` (leased presence, see etcd-presence.ts). No cache: every read asks etcd.
import type { Etcd3 as Etcd3Client, IOptions, IRangeResponse, Namespace, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { requireCommonJs } from '../commonjs.js';
import { SmaError, unavailable } from '../errors.js';
import type { RegistryKind, ServiceRecord, ServiceRegistration } from '../model.js';
import { EtcdInstanceIds, NEXT_ID } from './etcd-instance-ids.js';
import { EtcdPresence } from './etcd-presence.js';
import type { ExternalRegistry } from './external-registry.js';
import { OwnWrites } from './own-writes.js';
import type { RecordPatch } from './registry.js';
import { idNotRequested } from './service-record.js';
import { Serial } from './serial.js';
import { newRecord, patched, reRegistered } from './service-record.js';
import { assemble, isServiceName, parseConfig, parseStored, toStored } from './stored-record.js';

const { Etcd3 } = requireCommonJs('etcd3') as typeof import('etcd3');

export interface EtcdRegistryOptions {
  hosts: string[];
  /** Key prefix of this agent's registry (config registry.etcd.prefix), default `/sma-bridge/`. */
  prefix?: string;
  /** TTL of the presence leases, seconds (default 30). */
  leaseTtlS?: number;
  /** Deadline of each etcd call (default 2000 ms): past it the call fails UNAVAILABLE. */
  callTimeoutMs?: number;
  /** Delay between attempts to re-open the watch after etcd went away (default 1000 ms). */
  watchRetryMs?: number;
  agentId?: string;
  log: Logger;
}

const key = { service: (n: string) => `services/${n}`, config: (n: string) => `config/${n}`, id: (n: string) => `ids/${n}` };
const CAS_ATTEMPTS = 20;

export class EtcdRegistry implements ExternalRegistry {
  readonly kind: RegistryKind = 'ETCD';
  private readonly listeners: Array<() => void> = [];
  private readonly own = new OwnWrites(() => this.announce());
  private readonly serial = new Serial();
  private readonly presence: EtcdPresence;
  private readonly ids: EtcdInstanceIds;
  private readonly watcher: Watcher;
  private readonly warned = new Set<string>();
  private wanted = new Set<string>();
  private announcing = false;

  private constructor(
    private readonly client: Etcd3Client,
    private readonly ns: Namespace,
    private readonly options: EtcdRegistryOptions,
  ) {
    this.presence = new EtcdPresence(ns, options.leaseTtlS ?? 30, options.agentId ?? 'sma-bridge', options.log);
    this.ids = new EtcdInstanceIds(ns, (fn) => this.call(fn));
    this.watcher = ns.watch().prefix('').watcher();
    const changed = (kv: { key: Buffer; mod_revision: string }) => {
      const k = kv.key.toString();
      if (k.startsWith('services/') || k.startsWith('config/')) this.own.seen(kv.mod_revision);
    };
    this.watcher.on('put', changed);
    this.watcher.on('delete', changed);
    this.watcher.on('error', (err) => options.log.debug({ err: err.message }, 'etcd watch error'));
  }

  /** Connects lazily: opening never waits for etcd, the first call does. */
  static open(options: EtcdRegistryOptions): EtcdRegistry {
    const timeout = options.callTimeoutMs ?? 2000;
    const retryMs = options.watchRetryMs ?? 1000;
    // A constant back-off, so the watch returns soon after etcd does (the library default waits up to 30 s).
    const watchBackoff = { duration: retryMs, next: () => watchBackoff };
    const clientOptions: IOptions = {
      hosts: options.hosts,
      dialTimeout: timeout,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      faultHandling: { watchBackoff },
    };
    const client = new Etcd3(clientOptions);
    return new EtcdRegistry(client, client.namespace(options.prefix ?? '/sma-bridge/'), options);
  }

  async list(): Promise<ServiceRecord[]> {
    // One consistent read: 'config/' < 'ids/' < 'meta/' < 'services/' < 'services0' ('0' follows '/'); skips alive/.
    const res = await this.call(() => this.ns.getAll().inRange({ start: 'config/', end: 'services0' }).exec());
    const values = new Map(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
    const records: ServiceRecord[] = [];
    for (const [k, json] of values) {
      if (!k.startsWith('services/')) continue;
      const name = k.slice('services/'.length);
      const record = await this.assembleFrom(name, json, values.get(key.config(name)), values.get(key.id(name)));
      if (record) records.push(record);
    }
    this.follow(records);
    return records;
  }

  async get(name: string): Promise<ServiceRecord | undefined> {
    const [svc, cfg, id] = await this.call(() =>
      Promise.all([this.ns.get(key.service(name)).string(), this.ns.get(key.config(name)).string(), this.ns.get(key.id(name)).string()]),
    );
    return svc === null ? undefined : this.assembleFrom(name, svc, cfg ?? undefined, id ?? undefined);
  }

  async register(reg: ServiceRegistration): Promise<ServiceRecord> {
    const record = await this.modify(reg.name, async (current) =>
      current ? reRegistered(current, reg) : newRecord(reg, await idNotRequested(reg, () => this.ids.idOf(reg.name)), 'REGISTRY'),
    );
    this.wanted.add(record!.name);
    this.presence.sync(this.wanted);
    return record!;
  }

  async deregister(name: string): Promise<ServiceRecord | undefined> {
    return this.update(name, { halted: true });
  }

  async update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined> {
    const record = await this.modify(name, async (current) => current && patched(current, patch));
    if (record?.halted) this.wanted.delete(name);
    else if (record) this.wanted.add(name);
    this.presence.sync(this.wanted);
    return record;
  }

  onExternalChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  async ping(): Promise<void> {
    await this.call(() => this.ns.get(NEXT_ID).exec());
    this.presence.sync(this.wanted);
  }

  /** Names holding a presence lease right now (for tests and diagnostics). */
  presentNames(): string[] {
    return this.presence.names();
  }

  async close(): Promise<void> {
    await this.serial.run(async () => undefined);
    await this.watcher.cancel().catch(() => undefined);
    await this.presence.close();
    this.client.close();
  }

  /** Read-modify-write of a record and its config, retried when another client wrote in between. */
  private modify(name: string, change: (current: ServiceRecord | undefined) => Promise<ServiceRecord | undefined>): Promise<ServiceRecord | undefined> {
    return this.serial.run(async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const [svc, cfg, id] = await this.call(() =>
          Promise.all([this.ns.get(key.service(name)).exec(), this.ns.get(key.config(name)).exec(), this.ns.get(key.id(name)).string()]),
        );
        const current = svc.kvs[0] ? await this.assembleFrom(name, svc.kvs[0].value.toString(), text(cfg), id ?? undefined) : undefined;
        const next = await change(current);
        if (!next) return undefined;
        const txn = await this.call(() =>
          this.own.track(
            this.ns
              .if(key.service(name), 'Mod', '==', revisionOf(svc))
              .and(key.config(name), 'Mod', '==', revisionOf(cfg))
              .then(this.ns.put(key.service(name)).value(JSON.stringify(toStored(next))), this.ns.put(key.config(name)).value(JSON.stringify(next.config)))
              .commit(),
            (r) => (r.succeeded ? r.header.revision : undefined),
          ),
        );
        if (txn.succeeded) return next;
      }
      throw new SmaError('INTERNAL', `etcd: could not update ${name} (too much contention)`);
    });
  }

  private async assembleFrom(name: string, json: string, config: string | undefined, id: string | undefined): Promise<ServiceRecord | undefined> {
    const stored = isServiceName(name) ? parseStored(json) : 'not a valid service name';
    if (typeof stored === 'string') {
      this.warnOnce(name, json, stored);
      return undefined;
    }
    // A service written into etcd by another client gets its instance id on first sight.
    return assemble(name, stored, parseConfig(config), id !== undefined ? Number(id) : await this.ids.idOf(name));
  }

  private follow(records: ServiceRecord[]): void {
    this.wanted = new Set(records.filter((r) => !r.halted).map((r) => r.name));
    this.presence.sync(this.wanted);
  }

  private warnOnce(name: string, json: string, why: string): void {
    const k = `${name}\u0000${json}`;
    if (this.warned.has(k)) return;
    this.warned.add(k);
    this.options.log.warn({ key: key.service(name), why }, 'etcd: ignoring an unusable service record');
  }

  private announce(): void {
    if (this.announcing) return;
    this.announcing = true;
    queueMicrotask(() => {
      this.announcing = false;
      for (const listener of this.listeners) {
        try {
          listener();
        } catch (err) {
          this.options.log.error({ err }, 'registry change listener failed');
        }
      }
    });
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SmaError) throw err;
      throw unavailable(`etcd ${this.options.hosts.join(',')}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

const text = (res: IRangeResponse): string | undefined => res.kvs[0]?.value.toString();
const revisionOf = (res: IRangeResponse): string | number => res.kvs[0]?.mod_revision ?? 0;
