// The agent's own registry (registry.type sma): records in one store section, the SMA of the seeds.
// The agent is this store's only writer, so records are mirrored in memory after each awaited write.
import type { RegistryKind, ServiceRecord, ServiceRegistration } from '../model.js';
import type { Section, Store } from '../store/store.js';
import { InstanceIds } from './instance-ids.js';
import type { RecordPatch, Registry } from './registry.js';
import { Serial } from './serial.js';
import { copyRecord, newRecord, patched, reRegistered } from './service-record.js';

export interface EmbeddedRegistryOptions {
  /** Store section holding the records (default `registry-records`). */
  section?: string;
  /**
   * The config's `services`: the operator's declaration, so each is a record (source MANIFEST) beside the
   * registered ones. An entry changed in the file changes its record; one taken out of the file is halted.
   * A name registered at run time (source REGISTRY) is left as it is.
   */
  manifest?: readonly ServiceRegistration[];
}

export class EmbeddedRegistry implements Registry {
  readonly kind: RegistryKind = 'SMA';
  private readonly serial = new Serial();

  private constructor(
    private readonly records: Section<ServiceRecord>,
    private readonly ids: InstanceIds,
    private readonly mirror: Map<string, ServiceRecord>,
  ) {}

  /** Loads every stored record. The store stays the caller's: close() does not close it. */
  static async open(store: Store, options: EmbeddedRegistryOptions = {}): Promise<EmbeddedRegistry> {
    const records = store.section<ServiceRecord>(options.section ?? 'registry-records');
    const mirror = new Map<string, ServiceRecord>();
    for await (const [name, record] of records.entries()) mirror.set(name, record);
    const registry = new EmbeddedRegistry(records, new InstanceIds(store), mirror);
    if (options.manifest) await registry.seed(options.manifest);
    return registry;
  }

  /** Brings the MANIFEST records in line with the manifest, writing only what changed (flash wear). */
  private async seed(manifest: readonly ServiceRegistration[]): Promise<void> {
    const names = new Set(manifest.map((reg) => reg.name));
    for (const reg of manifest) {
      const existing = this.mirror.get(reg.name);
      if (!existing) await this.write(newRecord(reg, await this.ids.idOf(reg.name, reg.instanceId), 'MANIFEST'));
      else if (existing.source === 'MANIFEST') {
        const next = reRegistered(existing, reg);
        if (!sameRecord(next, existing)) await this.write(next);
      }
    }
    for (const record of [...this.mirror.values()]) {
      if (record.source === 'MANIFEST' && !record.halted && !names.has(record.name)) await this.write(patched(record, { halted: true }));
    }
  }

  async list(): Promise<ServiceRecord[]> {
    return [...this.mirror.values()].map(copyRecord);
  }

  async get(name: string): Promise<ServiceRecord | undefined> {
    const record = this.mirror.get(name);
    return record && copyRecord(record);
  }

  register(reg: ServiceRegistration): Promise<ServiceRecord> {
    return this.serial.run(async () => {
      const existing = this.mirror.get(reg.name);
      const record = existing ? reRegistered(existing, reg) : newRecord(reg, await this.ids.idOf(reg.name, reg.instanceId), 'REGISTRY');
      return this.write(record);
    });
  }

  deregister(name: string): Promise<ServiceRecord | undefined> {
    return this.update(name, { halted: true });
  }

  update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined> {
    return this.serial.run(async () => {
      const existing = this.mirror.get(name);
      return existing && this.write(patched(existing, patch));
    });
  }

  async close(): Promise<void> {
    // Let queued writes land before the caller closes the store under them.
    await this.serial.run(async () => undefined);
  }

  private async write(record: ServiceRecord): Promise<ServiceRecord> {
    await this.records.put(record.name, record);
    this.mirror.set(record.name, record);
    return copyRecord(record);
  }
}

/** Equal but for the version (which every rewrite bumps). */
function sameRecord(a: ServiceRecord, b: ServiceRecord): boolean {
  return JSON.stringify({ ...a, version: 0 }) === JSON.stringify({ ...b, version: 0 });
}
