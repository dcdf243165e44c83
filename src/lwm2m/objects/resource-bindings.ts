// The one table from (object id, resource id) to where a value comes from and which operation runs.
import type { Health, MetricsView, ServiceConfig, ServiceView, TrustView } from '../../model.js';
import type { RegistryKind } from '../../model.js';
import { DecodeError, type ResourceValue } from '../content/node.js';
import { CoapFailure } from './coap-failure.js';
import type { DeviceFacts } from './device-facts.js';
import type { BindingTable, Effect, ResourceBinding } from './object-source.js';

export interface DeviceInstance {
  facts: DeviceFacts;
  nowS: number;
  canReboot: boolean;
  setTimeOffset(seconds: number): void;
  reboot?: () => Promise<void>;
}
export interface ServiceInstance {
  view: ServiceView;
  metrics?: MetricsView;
  config?: ServiceConfig;
  lastResult?: string;
  /** Rules FIRING for it (CONTRACT section 15). */
  alerts?: string[];
  /** The last hour of services.history per metric: `[[t, min, avg, max], ...]` at one-minute steps. */
  history?: { cpuPercent?: number[][]; memoryBytes?: number[][] };
}
export interface AgentInstance {
  info: { agentId: string; version: string; registry: RegistryKind; services: number; devices: number };
  trusted?: number;
}
export interface TrustInstance {
  view: TrustView;
  heartbeatTimeoutS?: number;
}

const seconds = (iso: string | undefined): number | undefined => (iso ? Math.floor(Date.parse(iso) / 1000) : undefined);
const kib = (bytes: number): number => Math.floor(bytes / 1024);
const batch =
  (op: 'services.start' | 'services.stop' | 'services.restart', body: Record<string, unknown>) =>
  (): Effect => ({ op, body });

function parseConfig(value: ResourceValue): ServiceConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw new DecodeError('Config must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DecodeError('Config must be a JSON object');
  return parsed as ServiceConfig;
}

/** PUT replaces the whole config: keys the new value lacks are removed (config.set merges, null deletes). */
function configWrite(inst: ServiceInstance, value: ResourceValue, mode: 'replace' | 'update'): Effect {
  const next = parseConfig(value);
  const patch: Record<string, unknown> = { ...next };
  if (mode === 'replace') for (const key of Object.keys(inst.config ?? {})) if (!(key in next)) patch[key] = null;
  return { op: 'config.set', body: { name: inst.view.name, config: patch } };
}

export const deviceBindings: BindingTable<DeviceInstance> = new Map<number, ResourceBinding<DeviceInstance>>([
  [0, { read: (d) => d.facts.manufacturer }],
  [1, { read: (d) => d.facts.model }],
  [2, { read: (d) => d.facts.serial }],
  [3, { read: (d) => d.facts.firmwareVersion }],
  [
    4,
    {
      present: (d) => d.canReboot,
      execute: (d) => {
        if (!d.canReboot) throw new CoapFailure('4.04', 'no reboot command is configured');
        const reboot = d.reboot;
        if (!reboot) throw new CoapFailure('5.01', 'reboot is not wired into the LwM2M client');
        return { afterSent: () => void reboot() };
      },
    },
  ],
  [10, { read: (d) => kib(d.facts.memoryFree()) }],
  [11, { read: () => [0] }],
  [13, { read: (d) => d.nowS, write: ({ instance, value }) => ({ local: () => instance.setTimeOffset((value as number) - instance.nowS) }) }],
  [16, { read: () => 'U' }],
  [17, { read: (d) => d.facts.deviceType ?? 'gateway' }],
  [19, { read: (d) => d.facts.softwareVersion }],
  [21, { read: (d) => kib(d.facts.memoryTotal()) }],
]);

export const serviceBindings: BindingTable<ServiceInstance> = new Map<number, ResourceBinding<ServiceInstance>>([
  [0, { read: (s) => s.view.name }],
  [1, { read: (s) => s.view.status }],
  [2, { read: (s) => s.view.health satisfies Health }],
  [3, { execute: (s) => ({ op: 'services.start', body: { names: [s.view.name] } }) }],
  [4, { execute: (s) => ({ op: 'services.stop', body: { names: [s.view.name] } }) }],
  [5, { execute: (s) => ({ op: 'services.restart', body: { names: [s.view.name] } }) }],
  [6, { needs: 'metrics', read: (s) => s.metrics?.cpuPercent }],
  [7, { needs: 'metrics', read: (s) => (s.metrics ? Math.round(s.metrics.memoryBytes) : undefined) }],
  [8, { needs: 'config', read: (s) => JSON.stringify(s.config ?? {}), write: ({ instance, value, mode }) => configWrite(instance, value, mode) }],
  [9, { read: (s) => s.view.restarts }],
  [10, { read: (s) => seconds(s.view.lastCheckAt) }],
  [11, { read: (s) => (s.view.host === undefined ? undefined : s.view.port === undefined ? s.view.host : `${s.view.host}:${s.view.port}`) }],
  [12, { read: (s) => s.lastResult }],
  [13, { read: (s) => s.view.restartPolicy }],
  [14, { read: (s) => seconds(s.view.nextAttemptAt) }],
  [15, { read: (s) => s.view.exitCode }],
  [16, { read: (s) => seconds(s.view.lastExitAt) }],
  [17, { needs: 'alerts', read: (s) => (s.alerts ?? []).join(',') }],
  // services.history over LwM2M: the points as services.history answers them (JSON), the last hour by minute.
  [18, { needs: 'history', read: (s) => (s.history?.cpuPercent ? JSON.stringify(s.history.cpuPercent) : undefined) }],
  [19, { needs: 'history', read: (s) => (s.history?.memoryBytes ? JSON.stringify(s.history.memoryBytes) : undefined) }],
]);

export const agentBindings: BindingTable<AgentInstance> = new Map<number, ResourceBinding<AgentInstance>>([
  [0, { read: (a) => a.info.agentId }],
  [1, { read: (a) => a.info.registry }],
  [2, { read: (a) => a.info.services }],
  [3, { execute: batch('services.start', { all: true }) }],
  [4, { execute: batch('services.stop', { all: true }) }],
  [5, { execute: batch('services.restart', { all: true }) }],
  [6, { read: (a) => a.info.version }],
  [7, { read: (a) => a.info.devices }],
  [8, { needs: 'trusted', read: (a) => a.trusted }],
]);

export const trustBindings: BindingTable<TrustInstance> = new Map<number, ResourceBinding<TrustInstance>>([
  [0, { read: (t) => t.view.id }],
  [1, { read: (t) => t.view.trustLevel }],
  [2, { read: (t) => seconds(t.view.lastHeartbeatAt) }],
  [3, { read: (t) => t.view.plugin }],
  [4, { read: (t) => t.view.pluginLevel }],
  [
    5,
    {
      read: (t) => t.heartbeatTimeoutS,
      write: () => {
        // No operation sets one device's heartbeat timeout yet (CONTRACT section 4 has none).
        throw new CoapFailure('5.01', 'no operation sets a per-device heartbeat timeout');
      },
    },
  ],
]);
