// What the operations layer asks of the supervisor: runtime state and lifecycle actions per service.
import type { BatchItem, HealthView, MetricsView, ServiceRecord, ServiceView } from '../model.js';

export interface ServiceControl {
  view(record: ServiceRecord): ServiceView;
  health(record: ServiceRecord): HealthView;
  metrics(record: ServiceRecord): Promise<MetricsView>;
  start(record: ServiceRecord): Promise<BatchItem>;
  stop(record: ServiceRecord): Promise<BatchItem>;
  /** `counted`: a rule's restart, which counts in `restarts` as a health restart does (CONTRACT section 15). */
  restart(record: ServiceRecord, options?: { counted?: boolean }): Promise<BatchItem>;
  /** A registration appeared or changed: begin (or keep) checking it. */
  track(record: ServiceRecord): void;
  /** Deregistered or removed: stop checking it. */
  untrack(name: string): void;
  /** A heartbeat from the service itself (MQTT R/heartbeat/service/{name}). */
  heartbeat(name: string, at: number): void;
}
