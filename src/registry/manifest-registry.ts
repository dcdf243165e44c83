// registry.type none: the static manifest (config `services`). Nobody registers or deregisters here;
// only the agent's runtime state (desired, restarts, failed, config) changes, kept in a store section.
import { invalidRequest, unavailable } from '../errors.js';
import type { RegistryKind, ServiceConfig, ServiceRecord, ServiceRegistration } from '../model.js';
import type { Section, Store } from '../store/store.js';
import { InstanceIds } from './instance-ids.js';
import type { RecordPatch, Registry } from './registry.js';
import { Serial } from './serial.js';
import { addedKeys, copyRecord, newRecord, patched, withDefaults } from './service-record.js';

/** What survives an agent restart for a manifest service, with the manifest config it was based on. */
interface RuntimeState extends Pick<ServiceRecord, 'desired' | 'restarts' | 'failed' | 'config' | 'version'> {
  manifestConfig: ServiceConfig;
}

export interface ManifestRegistryOptions {
  /** Store section for the runtime state (default `registry-manifest`). */
  section?: string;
}

export const MANIFEST_READ_ONLY = 'registry.type none: the static manifest is read-only';

export class ManifestRegistry implements Registry {
  readonly kind: RegistryKind = 'NONE';
  private readonly serial = new Serial();

  private constructor(
    private readonly state: Section<RuntimeState>,
    private readonly records: Map<string, ServiceRecord>,
    private readonly manifestConfigs: Map<string, ServiceConfig>,
  ) {}

  /**
   * Builds one record per manifest entry, with the runtime state remembered from earlier runs. A config
   * stored by config.set is kept as it is (a key an operator removed stays removed); only keys added to
   * the manifest file since that config was stored are filled in. Duplicate names are refused.
   */
  static async open(store: Store, manifest: readonly ServiceRegistration[], options: ManifestRegistryOptions = {}): Promise<ManifestRegistry> {
    const state = store.section<RuntimeState>(options.section ?? 'registry-manifest');
    const ids = new InstanceIds(store);
    const records = new Map<string, ServiceRecord>();
    for (const [index, reg] of manifest.entries()) {
      if (records.has(reg.name)) throw invalidRequest(`services[${index}].name: duplicate name ${reg.name}`);
      let record = newRecord(reg, await ids.idOf(reg.name), 'MANIFEST');
      const saved = await state.get(reg.name);
      if (saved) {
        const { manifestConfig, ...runtime } = saved;
        record = { ...record, ...runtime, config: withDefaults(saved.config, addedKeys(reg.config ?? {}, manifestConfig)) };
      }
      records.set(reg.name, record);
    }
    return new ManifestRegistry(state, records, new Map(manifest.map((reg) => [reg.name, reg.config ?? {}])));
  }

  async list(): Promise<ServiceRecord[]> {
    return [...this.records.values()].map(copyRecord);
  }

  async get(name: string): Promise<ServiceRecord | undefined> {
    const record = this.records.get(name);
    return record && copyRecord(record);
  }

  async register(_reg: ServiceRegistration): Promise<ServiceRecord> {
    throw unavailable(MANIFEST_READ_ONLY);
  }

  async deregister(_name: string): Promise<ServiceRecord | undefined> {
    throw unavailable(MANIFEST_READ_ONLY);
  }

  update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined> {
    return this.serial.run(async () => {
      if (patch.halted !== undefined) throw unavailable(MANIFEST_READ_ONLY);
      const existing = this.records.get(name);
      if (!existing) return undefined;
      const record = patched(existing, patch);
      const { desired, restarts, failed, config, version } = record;
      await this.state.put(name, { desired, restarts, failed, config, version, manifestConfig: this.manifestConfigs.get(name) ?? {} });
      this.records.set(name, record);
      return copyRecord(record);
    });
  }

  async close(): Promise<void> {
    await this.serial.run(async () => undefined);
  }
}
