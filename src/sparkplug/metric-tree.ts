// The metric tree of CONTRACT section 14: the agent's node metrics and one device per service, with their
// Sparkplug datatypes. Holds the last value of each metric, so births carry current values and DATA only
// what changed.
import type { MetricsView, ServiceView } from '../model.js';
import type { DataTypeName, MetricValue, OutMetric } from './payload.js';

export const NODE_METRICS = {
  bdSeq: 'Int64',
  'Node Control/Rebirth': 'Boolean',
  'Properties/Version': 'String',
  'Properties/Registry': 'String',
  'Agent/Services': 'UInt32',
  'Agent/Devices': 'UInt64',
  'Agent/Trusted Devices': 'UInt64',
  'Agent/Uptime S': 'UInt64',
} as const satisfies Record<string, DataTypeName>;

export const DEVICE_CONTROL = { 'Device Control/Start': 'start', 'Device Control/Stop': 'stop', 'Device Control/Restart': 'restart' } as const;
export type DeviceControl = keyof typeof DEVICE_CONTROL;

export const SERVICE_METRICS = {
  Status: 'String',
  Health: 'String',
  Restarts: 'UInt32',
  'CPU Percent': 'Float',
  'Memory Bytes': 'UInt64',
  'Last Exit Code': 'Int32',
  Version: 'String',
  'Device Control/Start': 'Boolean',
  'Device Control/Stop': 'Boolean',
  'Device Control/Restart': 'Boolean',
} as const satisfies Record<string, DataTypeName>;

export type NodeMetricName = keyof typeof NODE_METRICS;
export type ServiceMetricName = keyof typeof SERVICE_METRICS;
type Values<K extends string> = Partial<Record<K, MetricValue>>;

/** agent.info's answer, as the node metrics need it. */
export interface AgentFacts {
  version: string;
  registry: string;
  services: number;
  devices: number;
  trustedDevices?: number;
  uptimeS: number;
}

export function nodeValues(a: AgentFacts): Values<NodeMetricName> {
  return {
    'Node Control/Rebirth': false,
    'Properties/Version': a.version,
    'Properties/Registry': a.registry,
    'Agent/Services': a.services,
    'Agent/Devices': a.devices,
    'Agent/Trusted Devices': a.trustedDevices ?? 0,
    'Agent/Uptime S': a.uptimeS,
  };
}

export function serviceValues(v: ServiceView): Values<ServiceMetricName> {
  return {
    Status: v.status,
    Health: v.health,
    Restarts: v.restarts,
    'Last Exit Code': v.exitCode ?? null,
    Version: v.version ?? null,
  };
}

export function usageValues(m: MetricsView): Values<ServiceMetricName> {
  // One decimal: a Float that differs in its sixth digit every poll is noise, not a change.
  return { 'CPU Percent': Math.round(m.cpuPercent * 10) / 10, 'Memory Bytes': m.memoryBytes };
}

/** A new service's values before its first poll: the commands writable (false), nothing measured yet. */
const SERVICE_DEFAULTS: Record<ServiceMetricName, MetricValue> = {
  Status: 'UNKNOWN',
  Health: 'UNKNOWN',
  Restarts: 0,
  'CPU Percent': 0,
  'Memory Bytes': 0,
  'Last Exit Code': null,
  // Null until a deployment names one.
  Version: null,
  'Device Control/Start': false,
  'Device Control/Stop': false,
  'Device Control/Restart': false,
};

/** The last values of one metric set (the node, or one device). */
export class MetricSet<K extends string> {
  private readonly values = new Map<K, MetricValue>();

  constructor(private readonly types: Record<K, DataTypeName>, initial: Partial<Record<K, MetricValue>> = {}) {
    for (const name of Object.keys(types) as K[]) this.values.set(name, initial[name] ?? null);
  }

  /** Every metric with its datatype: a birth. */
  birth(at: number): OutMetric[] {
    return [...this.values].map(([name, value]) => ({ name, type: this.types[name], value, timestamp: at }));
  }

  /** Takes the new values; returns the metrics that changed, for a DATA message (no datatype). */
  update(next: Partial<Record<K, MetricValue>>, at: number): OutMetric[] {
    const changed: OutMetric[] = [];
    for (const [name, value] of Object.entries(next) as Array<[K, MetricValue | undefined]>) {
      if (value === undefined || !this.values.has(name) || this.values.get(name) === value) continue;
      this.values.set(name, value);
      changed.push({ name, type: this.types[name], value, timestamp: at, withType: false });
    }
    return changed;
  }
}

export const newNodeSet = (bdSeq = 0): MetricSet<NodeMetricName> => new MetricSet<NodeMetricName>(NODE_METRICS, { bdSeq, 'Node Control/Rebirth': false });
export const newServiceSet = (): MetricSet<ServiceMetricName> => new MetricSet<ServiceMetricName>(SERVICE_METRICS, SERVICE_DEFAULTS);
