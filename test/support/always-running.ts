// A ServiceControl whose every service runs and every action succeeds: for tests of the inbox, journal and
// fronts, where executors are not under test (the real supervisor is driven end to end in test/e2e).
import type { BatchItem, HealthView, MetricsView, ServiceRecord, ServiceView } from '../../src/model.js';
import type { ServiceControl } from '../../src/supervisor/service-control.js';

export const alwaysRunning: ServiceControl = {
  view: (r: ServiceRecord): ServiceView => ({ name: r.name, instanceId: r.instanceId, status: 'RUNNING', health: 'UP', restarts: r.restarts, source: r.source, plugin: r.plugin }),
  health: (r: ServiceRecord): HealthView => ({ name: r.name, health: 'UP' }),
  metrics: async (r: ServiceRecord): Promise<MetricsView> => ({ name: r.name, cpuPercent: 0, memoryBytes: 0, uptimeS: 0, restarts: 0 }),
  start: async (r: ServiceRecord): Promise<BatchItem> => ({ name: r.name, result: 'OK', status: 'RUNNING' }),
  stop: async (r: ServiceRecord): Promise<BatchItem> => ({ name: r.name, result: 'OK', status: 'STOPPED' }),
  restart: async (r: ServiceRecord): Promise<BatchItem> => ({ name: r.name, result: 'OK', status: 'RUNNING' }),
  track: () => {},
  untrack: () => {},
  heartbeat: () => {},
};
