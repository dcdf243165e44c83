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
    return new EmbeddedRegistry(records, new InstanceIds(store), mirror);
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
