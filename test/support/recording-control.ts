// A ServiceControl double for tests of the inbox, journal and deploy engine, where executors are not under
// test (the real supervisor is driven end to end in test/e2e): it records each action, holds actions while
// `gate` is pending, and its views say whatever `status` and `health` the test sets.
import type { BatchItem, Health, ServiceRecord, ServiceStatus } from '../../src/model.js';
import type { ServiceControl } from '../../src/supervisor/service-control.js';

export class RecordingControl implements ServiceControl {
  /** `action:name` as each action begins, and `action:name:end` as it ends. */
  calls: string[] = [];
  /** While pending, every action waits for it. */
  gate?: Promise<void>;
  status: ServiceStatus = 'RUNNING';
  healthNow: Health = 'UP';
  view = (r: ServiceRecord) => ({ name: r.name, instanceId: r.instanceId, status: this.status, health: this.healthNow, restarts: r.restarts, source: r.source, plugin: r.plugin });
  health = (r: ServiceRecord) => ({ name: r.name, health: this.healthNow });
  metrics = async (r: ServiceRecord) => ({ name: r.name, cpuPercent: 0, memoryBytes: 0, uptimeS: 0, restarts: 0 });
  private act = async (action: string, r: ServiceRecord): Promise<BatchItem> => {
    this.calls.push(`${action}:${r.name}`);
    await this.gate;
    this.calls.push(`${action}:${r.name}:end`);
    return { name: r.name, result: 'OK', status: 'RUNNING' };
  };
  start = (r: ServiceRecord) => this.act('start', r);
  stop = (r: ServiceRecord) => this.act('stop', r);
  restart = (r: ServiceRecord) => this.act('restart', r);
  /** The actions begun, in order. */
  begun = (): string[] => this.calls.filter((c) => !c.endsWith(':end'));
  track = () => {};
  untrack = () => {};
  heartbeat = () => {};
}
