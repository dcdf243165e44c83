// How sma-bridge records map to Consul's catalog: the registration EdgeX services make, and what a
// catalog entry registered by someone else tells about a service.
import type { ServiceRecord } from '../model.js';
import type { StoredRecord } from './stored-record.js';
import { isServiceName } from './stored-record.js';

/** GET /v1/catalog/service/{name}: the fields the provider reads. */
export interface CatalogEntry {
  ServiceID: string;
  Address: string;
  ServiceAddress: string;
  ServicePort: number;
}

export interface CheckTiming {
  intervalMs: number;
  timeoutMs: number;
  /** A Go duration: Consul removes a service whose check stays critical this long. */
  deregisterCriticalAfter: string;
}

/** PUT /v1/agent/service/register body: name as ID, address, port, an HTTP check with deregister-after. */
export function serviceDefinition(record: ServiceRecord, timing: CheckTiming): Record<string, unknown> {
  const def: Record<string, unknown> = {
    ID: record.name,
    Name: record.name,
    Tags: ['sma-bridge'],
    Meta: { 'sma-instance-id': String(record.instanceId), 'sma-plugin': String(record.plugin) },
  };
  if (record.host !== undefined) def.Address = record.host;
  if (record.port !== undefined) def.Port = record.port;
  // Heartbeat, process and none checks are the agent's own business; Consul gets no check for them.
  if (record.check.type === 'http') {
    def.Check = {
      Name: `Health Check: ${record.name}`,
      HTTP: record.check.url,
      Interval: duration(timing.intervalMs),
      Timeout: duration(timing.timeoutMs),
      DeregisterCriticalServiceAfter: timing.deregisterCriticalAfter,
    };
  }
  return def;
}

/** A service only Consul knows (registered by someone else): its address, default state, check none. */
export function fromCatalog(entry: CatalogEntry | undefined): StoredRecord | undefined {
  if (!entry) return undefined;
  const stored: StoredRecord = { check: { type: 'none' }, plugin: false, desired: 'RUNNING', failed: false, restarts: 0, halted: false };
  const host = entry.ServiceAddress || entry.Address;
  if (host) stored.host = host;
  if (entry.ServicePort > 0) stored.port = entry.ServicePort;
  return stored;
}

/** Consul lists itself as service `consul`; names the contract cannot carry are not ours to show. */
export const isOurs = (name: string): boolean => name !== 'consul' && isServiceName(name);

const duration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
