// Everything an operation may touch. Built once in the composition root (src/agent.ts).
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Registry } from '../registry/registry.js';
import type { ServiceControl } from '../supervisor/service-control.js';
import type { TrustQuery } from '../trust/trust-query.js';
import type { WatchPorts } from './watch-ports.js';
import type { DeployRequest } from './deploy-schemas.js';

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
  install(name: string): Promise<unknown>;
  discard(name: string): Promise<unknown>;
  list(name?: string): Promise<unknown>;
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
