// One typed event union on one bus. Engines and operations emit; fronts format for their protocol.
import type { Health, ServiceStatus, TrustLevel } from './model.js';

export type ServiceEventType = 'STATUS' | 'HEALTH' | 'RESTART' | 'GAVE_UP' | 'REGISTERED' | 'DEREGISTERED' | 'CONFIG' | 'EXIT';

export interface ServiceEvent {
  kind: 'service';
  type: ServiceEventType;
  name: string;
  from?: ServiceStatus | Health;
  to?: ServiceStatus | Health;
  attempt?: number;
  /** STATUS to BACKOFF: when the next attempt is due. */
  nextAttemptAt?: number;
  /** EXIT: how the service's process ended (exitCode absent when a signal ended it). */
  exitCode?: number;
  exitSignal?: string;
  at: number;
}

export type TrustReason =
  | 'HEARTBEAT_TIMEOUT'
  | 'HEARTBEAT'
  | 'PLUGIN_DOWN'
  | 'PLUGIN_UP'
  | 'PLUGIN_REPORT'
  | 'REREGISTERED'
  | 'REMOVED';

export interface TrustEvent {
  kind: 'trust';
  /** The CloudEvent id, fixed when the change was written: an event sent again after a crash keeps it. */
  id: string;
  deviceId: string;
  from?: TrustLevel;
  to: TrustLevel;
  reason: TrustReason;
  at: number;
}

/** Asks a plugin to send its device set again (CONTRACT section 8). */
export interface PluginReregisterEvent {
  kind: 'plugin-reregister';
  plugin: string;
  at: number;
}

export interface AgentEvent {
  kind: 'agent';
  type: 'REGISTRY_CHANGED' | 'STORE_UNAVAILABLE' | 'STORE_AVAILABLE';
  detail: string;
  at: number;
}

/** One KV key changed (EdgeX Core Keeper): `value` undefined means deleted. Published for keeper config watchers. */
export interface KvEvent {
  kind: 'kv';
  key: string;
  value?: unknown;
  at: number;
}

/** Lines a service printed, gathered over a short while (CONTRACT section 16); `dropped` past the batch's cap. */
export interface LogEvent {
  kind: 'log';
  name: string;
  lines: Array<{ t: number; stream: 'stdout' | 'stderr'; text: string }>;
  dropped: number;
  at: number;
}

export type AlertEventType = 'PENDING' | 'FIRING' | 'RESOLVED' | 'ACTION' | 'GAVE_UP';

/** A rule's state change or action (CONTRACT section 15). */
export interface AlertEvent {
  kind: 'alert';
  type: AlertEventType;
  rule: string;
  name: string;
  metric: string;
  value: number;
  threshold: number;
  action?: string;
  at: number;
}

/** A deployment entered a state, or (DOWNLOADING) made progress (CONTRACT section 13): `R/event/deploy/{name}`. */
export interface DeployEvent {
  kind: 'deploy';
  deploymentId: string;
  name: string;
  version: string;
  state: string;
  from?: string;
  bytes?: number;
  total?: number;
  error?: { code: string; message: string };
  at: number;
}

export type SmaEvent = ServiceEvent | TrustEvent | PluginReregisterEvent | AgentEvent | KvEvent | LogEvent | AlertEvent | DeployEvent;

type Listener = (event: SmaEvent) => void;

export class EventBus {
  private listeners: Listener[] = [];

  on(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: SmaEvent): void {
    // A front's failure to format an event must not stop the others from seeing it.
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        /* listeners log their own failures */
      }
    }
  }
}
