// Everything an operation may touch, and the ports' interfaces in one place: providers (registry/), engines
// (supervisor/, trust/) implement them from here, and operations import none of their folders.
// Built once in the composition root (src/agent.ts).
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { BatchItem, HealthView, MetricsView, RegistryKind, ServiceRecord, ServiceRegistration, ServiceView, TrustLevel, TrustView } from '../model.js';
import type { WatchPorts } from './watch-ports.js';
import type { DeployRequest } from './deploy-schemas.js';

// The registry port. Providers: embedded (LevelDB), manifest (static), etcd, consul, keeper.
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

// What the operations layer asks of the supervisor: runtime state and lifecycle actions per service.
export interface ServiceControl {
  view(record: ServiceRecord): ServiceView;
  health(record: ServiceRecord): HealthView;
  metrics(record: ServiceRecord): Promise<MetricsView>;
  start(record: ServiceRecord): Promise<BatchItem>;
  stop(record: ServiceRecord): Promise<BatchItem>;
  /** `counted`: a rule's restart, which counts in `restarts` as a health restart does (CONTRACT section 15). */
  restart(record: ServiceRecord, options?: { counted?: boolean }): Promise<BatchItem>;
  /** A registration appeared or changed: begin (or keep) checking it. */
  track(record: ServiceRecord): void;
  /** Deregistered or removed: stop checking it. */
  untrack(name: string): void;
  /** A heartbeat from the service itself (MQTT R/heartbeat/service/{name}). */
  heartbeat(name: string, at: number): void;
}

// What the operations layer and fronts ask of the trust tracker.
export interface TrustFilter {
  ids?: string[];
  level?: TrustLevel;
  /** Paging over the whole fleet (ignored with `ids`): at most `limit` devices after instanceId `after`. */
  limit?: number;
  after?: number;
}

export interface TrustQuery {
  query(filter: TrustFilter): TrustView[];
  /** Devices tracked and how many of them are COMPLETE. */
  counts(): { devices: number; trusted: number };
}

/** The agent process itself, addressable by name in a batch (run last, after the reply is sent). */
export interface SelfControl {
  readonly name: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface AgentInfo {
  agentId: string;
  version: string;
  startedAt: number;
  /** Which process answers (issue 28: two checkouts on one machine may share an id): pid, dataDir, ports. */
  process?: () => { pid: number; dataDir: string; mqttPort?: number; httpPort?: number };
}

/** A stored KV entry (EdgeX Core Keeper); times in ms since the epoch. */
export interface KvEntry {
  key: string;
  value: unknown;
  created?: number;
  modified?: number;
}

/**
 * The KV keys that belong to no registered service (a service's own keys are its configuration, in the
 * registry). `serviceRoot` is where service keys start: `{serviceRoot}/{name}/...`.
 */
export interface KeyValueStore {
  readonly serviceRoot: string;
  /** Entries equal to or below `prefix`, in key order. */
  list(prefix: string): Promise<KvEntry[]>;
  put(entries: Array<{ key: string; value: unknown }>, at: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

/** Deployments (CONTRACT section 13): the deploy engine, as operations see it. */
export interface DeployControl {
  deploy(req: DeployRequest): Promise<unknown>;
  rollback(name: string): Promise<unknown>;
  install(name: string, auth?: { username: string; password: string }): Promise<unknown>;
  discard(name: string): Promise<unknown>;
  /** Cancels the deployment in progress (`by`: who asked, kept with it). */
  cancel(name: string, by?: string): Promise<unknown>;
  list(name?: string): Promise<unknown>;
  /** The service's deployment while it owns the service (accepted, not resting at DELIVERED, not ended). */
  inProgress(name: string): { deploymentId: string; state: string } | undefined;
}

export interface Ports {
  registry: Registry;
  kv: KeyValueStore;
  services: ServiceControl;
  trust: TrustQuery;
  events: EventBus;
  clock: Clock;
  self: SelfControl;
  agent: AgentInfo;
  /** Service output, resource history and rules (src/output, src/watch); absent in tests that need none. */
  watch?: WatchPorts;
  /** Absent where the agent runs no deploy engine: the deploy operations answer UNAVAILABLE. */
  deploy?: DeployControl;
}

/** What an operation gives back: a result, and optionally work to run once the reply is out. */
export interface OperationOutcome {
  result: unknown;
  afterReply?: () => Promise<void>;
}
