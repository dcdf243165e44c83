// Prometheus text exposition of the agent's state.
import type { ServiceView } from '../model.js';

export interface MetricsSnapshot {
  services: ServiceView[];
  checksRun: number;
  checksFailed: number;
  devices: number;
  trustedDevices: number;
  uptimeS: number;
  /** Each rule and service (CONTRACT section 15). */
  alerts?: Array<{ rule: string; service: string; firing: boolean }>;
}

const STATUSES = ['RUNNING', 'STOPPED', 'STARTING', 'STOPPING', 'BACKOFF', 'FAILED', 'HALT', 'UNKNOWN'] as const;
const HEALTHS = ['UP', 'DOWN', 'UNKNOWN'] as const;

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function renderPrometheus(s: MetricsSnapshot): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  metric('sma_services', 'gauge', 'Registered services by status.');
  for (const status of STATUSES) lines.push(`sma_services{status="${status}"} ${s.services.filter((v) => v.status === status).length}`);
  metric('sma_services_health', 'gauge', 'Registered services by health.');
  for (const health of HEALTHS) lines.push(`sma_services_health{health="${health}"} ${s.services.filter((v) => v.health === health).length}`);
  metric('sma_service_up', 'gauge', '1 when the service is healthy.');
  for (const v of s.services) lines.push(`sma_service_up{service="${esc(v.name)}"} ${v.health === 'UP' ? 1 : 0}`);
  metric('sma_service_restarts_total', 'counter', 'Automatic restarts per service.');
  for (const v of s.services) lines.push(`sma_service_restarts_total{service="${esc(v.name)}"} ${v.restarts}`);
  metric('sma_service_status', 'gauge', 'The status of each service (1 for the status it is in).');
  for (const v of s.services) lines.push(`sma_service_status{service="${esc(v.name)}",status="${v.status}"} 1`);
  const seconds = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso) / 1000);
  metric('sma_service_next_attempt_timestamp_seconds', 'gauge', 'While BACKOFF: when the next automatic restart is due.');
  for (const v of s.services) if (v.nextAttemptAt !== undefined) lines.push(`sma_service_next_attempt_timestamp_seconds{service="${esc(v.name)}"} ${seconds(v.nextAttemptAt)}`);
  metric('sma_service_last_exit_timestamp_seconds', 'gauge', 'When the service process last ended.');
  for (const v of s.services) if (v.lastExitAt !== undefined) lines.push(`sma_service_last_exit_timestamp_seconds{service="${esc(v.name)}"} ${seconds(v.lastExitAt)}`);
  metric('sma_service_last_exit_code', 'gauge', 'Exit status of the service process the last time it ended (absent after a signal).');
  for (const v of s.services) if (v.exitCode !== undefined) lines.push(`sma_service_last_exit_code{service="${esc(v.name)}"} ${v.exitCode}`);
  metric('sma_health_checks_total', 'counter', 'Health checks run.');
  lines.push(`sma_health_checks_total ${s.checksRun}`);
  metric('sma_health_checks_failed_total', 'counter', 'Health checks that failed.');
  lines.push(`sma_health_checks_failed_total ${s.checksFailed}`);
  metric('sma_devices', 'gauge', 'Tracked devices by trust level.');
  lines.push(`sma_devices{level="COMPLETE"} ${s.trustedDevices}`, `sma_devices{level="NONE"} ${s.devices - s.trustedDevices}`);
  metric('sma_alert_firing', 'gauge', '1 while the rule fires for the service.');
  for (const a of s.alerts ?? []) lines.push(`sma_alert_firing{rule="${esc(a.rule)}",service="${esc(a.service)}"} ${a.firing ? 1 : 0}`);
  metric('sma_uptime_seconds', 'gauge', 'Seconds since the agent started.');
  lines.push(`sma_uptime_seconds ${s.uptimeS}`);
  const mem = process.memoryUsage();
  metric('process_resident_memory_bytes', 'gauge', 'Resident memory of the agent process.');
  lines.push(`process_resident_memory_bytes ${mem.rss}`);
  metric('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use.');
  lines.push(`nodejs_heap_used_bytes ${mem.heapUsed}`);
  metric('nodejs_external_memory_bytes', 'gauge', 'Memory of buffers and typed arrays outside the V8 heap.');
  lines.push(`nodejs_external_memory_bytes ${mem.external + mem.arrayBuffers}`);
  return lines.join('\n') + '\n';
}
