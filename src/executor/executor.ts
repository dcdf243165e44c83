// The executor port: how a service is started, stopped, restarted and measured.
import type { ServiceRecord } from '../model.js';

export interface ProcessMetrics {
  cpuPercent: number;
  memoryBytes: number;
  uptimeS: number;
}

/** How a child the executor owns ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
  /** The executor was stopping it (stop, restart, close): not a failure. */
  expected: boolean;
}

/** Where a spawned service's output goes: one writer per stream of each child (src/output keeps it). */
export type OutputSink = (name: string, stream: 'stdout' | 'stderr') => { write(chunk: Buffer): void; end(): void };

export interface Executor {
  readonly kind: 'process' | 'command' | 'docker' | 'per-service';
  /** The leader (and process group id) of a service's process, when this executor spawned it (the watch samples the group). */
  pidOf?(name: string): number | undefined;
  start(service: ServiceRecord): Promise<void>;
  stop(service: ServiceRecord): Promise<void>;
  /** The executor's own restart, not a stop followed by a start. */
  restart(service: ServiceRecord): Promise<void>;
  metrics(service: ServiceRecord): Promise<ProcessMetrics | undefined>;
  /** For `process` checks: true/false when the executor knows, undefined when it cannot tell. */
  isAlive(name: string): boolean | undefined;
  /** Reboot of the whole gateway, when configured (LwM2M /3/0/4). */
  readonly canReboot: boolean;
  reboot(): Promise<void>;
  /** Executors that own their children say when one ends (the command executor cannot see processes). */
  onExit?(listener: (name: string, exit: ProcessExit) => void): void;
  /** Stops what the executor owns (process executor: its children). */
  close(): Promise<void>;
  /** Why this executor will not act on the service at all (nothing to run it with); undefined when it will. */
  refusal?(service: ServiceRecord): string | undefined;
  /** The supervisor tracks this service from now on (the Docker executor watches its container). */
  follow?(service: ServiceRecord): void;
  /** No longer tracked. */
  unfollow?(name: string): void;
  /** False while what runs the service cannot be reached (the Docker engine is gone): no verdict then. */
  reachable?(name: string): boolean;
  /** Says when what runs these services goes away (false) and comes back (true). */
  onReachability?(listener: (reachable: boolean, names: string[]) => void): void;
}
