// A service as the fronts see it (ServiceView): the registry's record joined with the supervisor's runtime state.
import type { RestartPolicy, ServiceRecord, ServiceView } from '../model.js';
import type { ServiceState } from './service-board.js';

const iso = (ms: number): string => new Date(ms).toISOString();

export function serviceView(record: ServiceRecord, state: ServiceState | undefined, defaultPolicy: RestartPolicy): ServiceView {
  const view: ServiceView = {
    name: record.name,
    instanceId: record.instanceId,
    status: record.halted ? 'HALT' : (state?.status ?? (record.failed ? 'FAILED' : 'UNKNOWN')),
    health: record.halted ? 'UNKNOWN' : (state?.health ?? 'UNKNOWN'),
    restarts: Math.max(record.restarts, state?.record.restarts ?? 0),
    source: record.source,
    plugin: record.plugin,
    restartPolicy: record.restartPolicy ?? defaultPolicy,
  };
  const { host, port } = addressOf(record);
  if (host !== undefined) view.host = host;
  if (port !== undefined) view.port = port;
  if (state?.lastCheckAt !== undefined) view.lastCheckAt = iso(state.lastCheckAt);
  if (view.status === 'BACKOFF' && state?.nextAttemptAt !== undefined) view.nextAttemptAt = iso(state.nextAttemptAt);
  const exit = state?.lastExit;
  if (exit) {
    if (exit.code !== null) view.exitCode = exit.code;
    if (exit.signal !== null) view.exitSignal = exit.signal;
    view.lastExitAt = iso(exit.at);
  }
  return view;
}

/** The registration's host and port; when it gives neither, those of its HTTP check's URL (what the operator expects to see). */
export function addressOf(record: Pick<ServiceRecord, 'host' | 'port' | 'check'>): { host?: string; port?: number } {
  if (record.host !== undefined || record.port !== undefined || record.check.type !== 'http') return { host: record.host, port: record.port };
  try {
    const url = new URL(record.check.url);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    // IPv6 literals come bracketed from URL.hostname.
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  } catch {
    return {};
  }
}
