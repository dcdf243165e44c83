// The registry port. Providers: embedded (LevelDB), manifest (static), etcd, consul.
import type { RegistryKind, ServiceRecord, ServiceRegistration } from '../model.js';

/** The parts of a record that the agent changes after registration. */
export type RecordPatch = Partial<Pick<ServiceRecord, 'config' | 'desired' | 'failed' | 'restarts' | 'halted'>>;

export interface Registry {
  readonly kind: RegistryKind;
  /** Every record, halted ones included. External providers ask their backend afresh on each call. */
  list(): Promise<ServiceRecord[]>;
  get(name: string): Promise<ServiceRecord | undefined>;
  /** Registers or re-registers (reviving a halted record); keeps instanceId, restarts and desired state. */
  register(registration: ServiceRegistration): Promise<ServiceRecord>;
  /** Soft delete: marks the record halted. Returns undefined when the name is unknown. */
  deregister(name: string): Promise<ServiceRecord | undefined>;
  update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined>;
  /** Called when others change the backend (watch); the embedded provider never calls it. */
  onExternalChange?(listener: () => void): void;
  close(): Promise<void>;
}

export class RegistryReadOnlyError extends Error {}
