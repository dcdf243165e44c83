// The supervisor engine (CONTRACT section 7): tracks the registry's services, checks them, restarts what is
// meant to run, and answers the operations layer. It speaks outwards only through the EventBus.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Executor, ProcessExit } from '../executor/executor.js';
import type { BatchItem, Health, HealthView, MetricsView, ServiceRecord, ServiceView } from '../model.js';
import type { Registry } from '../registry/registry.js';
import type { ServiceControl } from './service-control.js';
import { HealthMonitor, type SupervisorCounters } from './health-monitor.js';
import { performAction, type OperatorAction } from './operator-actions.js';
import { RestartBackoff } from './restart-backoff.js';
import { errorMessage, serial, ServiceBoard, type ServiceState } from './service-board.js';
import { serviceView } from './service-view.js';
import type { ExitMemory } from './exit-memory.js';

export type { SupervisorCounters } from './health-monitor.js';

export interface SupervisorOptions {
  registry: Registry;
  executor: Executor;
  events: EventBus;
  clock: Clock;
  health: Config['health'];
  log: Logger;
  fetchImpl?: typeof fetch;
  /** Where last exits outlive the agent; without one they are kept in memory only. */
  exits?: ExitMemory;
}

export class Supervisor implements ServiceControl {
  private readonly board: ServiceBoard;
  private readonly monitor: HealthMonitor;
  private closed = false;
  private resyncing: Promise<void> | undefined;
  /** Last exits remembered from earlier runs, given to each service as it is first tracked. */
  private recalled = new Map<string, ProcessExit>();

  constructor(private readonly o: SupervisorOptions) {
    this.board = new ServiceBoard(o.registry, o.events, o.clock, o.log);
    this.monitor = new HealthMonitor({ ...o, board: this.board, fetchImpl: o.fetchImpl ?? globalThis.fetch });
    o.executor.onExit?.((name, exit) => {
      const state = this.board.get(name);
      if (state && !this.closed) this.monitor.exited(state, exit);
    });
    o.executor.onReachability?.((reachable, names) => {
      if (!this.closed) this.monitor.reachability(reachable, names);
    });
  }

  /**
   * `start()` begins supervising: loads every non-halted record and checks each at once (remembered state is
   * trusted only after a check). `start(record)` is the operator's start of one service (ServiceControl).
   */
  start(): Promise<void>;
  start(record: ServiceRecord): Promise<BatchItem>;
  start(record?: ServiceRecord): Promise<void | BatchItem> {
    if (record) return this.act(record, 'start');
    return (async () => {
      this.recalled = (await this.o.exits?.recall().catch((err: unknown) => void this.o.log.warn({ err: errorMessage(err) }, 'cannot read the last exits'))) ?? new Map();
      this.o.registry.onExternalChange?.(() => void this.resync());
      await this.resync(true);
    })();
  }

  /** Stops checking and restarting; waits for actions in progress. The executor is the caller's to close. */
  async close(): Promise<void> {
    this.closed = true;
    this.monitor.close();
    await Promise.allSettled(this.board.all().map((s) => s.chain));
  }

  /**
   * Brings the tracked set in line with the registry (at start, and when others change an external registry).
   * At start (`remembered`), a service meant to run whose first check misses while the executor says it owns
   * no such process is started, not restarted: the agent itself was down, the service did not fail.
   */
  resync(remembered = false): Promise<void> {
    this.resyncing ??= (async () => {
      try {
        const records = await this.o.registry.list();
        const live = new Set(records.filter((r) => !r.halted).map((r) => r.name));
        const known = new Set(this.board.names());
        // Changes others made to an external registry reach the fronts (MQTT events, LwM2M 33000 instances) as events.
        const announce = (type: 'REGISTERED' | 'DEREGISTERED', name: string): void => {
          if (!remembered) this.o.events.emit({ kind: 'service', type, name, at: this.o.clock.now() });
        };
        for (const name of known) {
          if (live.has(name)) continue;
          this.untrack(name);
          announce('DEREGISTERED', name);
        }
        for (const record of records) {
          if (record.halted) continue;
          this.follow(record, remembered);
          if (!known.has(record.name)) announce('REGISTERED', record.name);
        }
      } catch (err) {
        this.o.log.warn({ err: errorMessage(err) }, 'cannot list the registry; keeping the services already tracked');
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  track(record: ServiceRecord): void {
    this.follow(record, false);
  }

  private follow(record: ServiceRecord, remembered: boolean): void {
    if (this.closed) return;
    if (record.halted) return this.untrack(record.name);
    this.o.executor.follow?.(record);
    const known = this.board.get(record.name);
    if (known) {
      const checkChanged = JSON.stringify(known.record.check) !== JSON.stringify(record.check);
      const wasStopped = known.record.desired === 'STOPPED';
      this.board.refresh(known, record);
      // Meant to run again (another agent's start, through the registry): checks resume.
      if (checkChanged || (wasStopped && known.record.desired === 'RUNNING')) {
        known.misses = 0;
        known.epoch += 1;
        this.monitor.scheduleCheck(known, 0);
      }
      return;
    }
    const state: ServiceState = {
      record: { ...record },
      // A remembered FAILED stands until an operator starts the service, a stop until one starts it;
      // everything else waits for a check.
      status: record.failed ? 'FAILED' : record.desired === 'STOPPED' ? 'STOPPED' : 'UNKNOWN',
      health: 'UNKNOWN',
      misses: 0,
      epoch: 0,
      hasRun: remembered && record.desired === 'RUNNING',
      bootStart: remembered && record.desired === 'RUNNING' && !record.failed && this.o.executor.refusal?.(record) === undefined && (record.start !== undefined || record.container !== undefined),
      backoff: new RestartBackoff(this.o.health),
      exitedSinceStart: false,
      lastExit: this.recalled.get(record.name),
      saving: 0,
      savedVersion: record.version ?? 0,
      checking: false,
      busy: 0,
      chain: Promise.resolve(),
    };
    this.board.set(state);
    this.monitor.scheduleCheck(state, 0);
  }

  untrack(name: string): void {
    const known = this.board.get(name);
    this.board.delete(name);
    this.monitor.forget(name);
    this.o.executor.unfollow?.(name);
    if (known?.lastExit) void this.o.exits?.forget(name).catch(() => undefined);
  }

  heartbeat(name: string, at: number): void {
    const state = this.board.get(name);
    // A service meant to be stopped is not checked, and a beat from it is no verdict either.
    if (!state || state.record.desired === 'STOPPED') return;
    state.lastBeat = Math.max(state.lastBeat ?? at, at);
    // A beat is proof of life: no need to wait for the next check to say UP.
    if (state.record.check.type === 'heartbeat' && state.health !== 'UP') {
      state.lastCheckAt = this.o.clock.now();
      this.monitor.apply(state, { pass: true }, state.lastCheckAt);
    }
  }

  view(record: ServiceRecord): ServiceView {
    return serviceView(record, this.board.get(record.name), this.o.health.restartPolicy);
  }

  health(record: ServiceRecord): HealthView {
    const state = this.board.get(record.name);
    const view: HealthView = { name: record.name, health: record.halted ? 'UNKNOWN' : (state?.health ?? 'UNKNOWN') };
    if (state?.lastCheckAt !== undefined) view.checkedAt = new Date(state.lastCheckAt).toISOString();
    if (state?.detail !== undefined) view.detail = state.detail;
    return view;
  }

  async metrics(record: ServiceRecord): Promise<MetricsView> {
    const restarts = Math.max(record.restarts, this.board.get(record.name)?.record.restarts ?? 0);
    try {
      const m = await this.o.executor.metrics(record);
      if (m) return { name: record.name, cpuPercent: m.cpuPercent, memoryBytes: m.memoryBytes, uptimeS: m.uptimeS, restarts };
    } catch (err) {
      this.o.log.debug({ service: record.name, err: errorMessage(err) }, 'no metrics from the executor');
    }
    return { name: record.name, cpuPercent: 0, memoryBytes: 0, uptimeS: 0, restarts };
  }

  stop(record: ServiceRecord): Promise<BatchItem> {
    return this.act(record, 'stop');
  }

  restart(record: ServiceRecord, options: { counted?: boolean } = {}): Promise<BatchItem> {
    return this.act(record, 'restart', options.counted === true);
  }

  /** A snapshot of the engine's counters, for the Prometheus front. */
  counters(): SupervisorCounters {
    return { ...this.monitor.counters };
  }

  /** Plugins' health, for the trust engine's plugin watchdog. */
  pluginHealth(): Array<{ name: string; health: Health }> {
    return this.board
      .all()
      .filter((s) => s.record.plugin)
      .map((s) => ({ name: s.record.name, health: s.health }));
  }

  private act(record: ServiceRecord, action: OperatorAction, counted = false): Promise<BatchItem> {
    const { name } = record;
    if (record.halted) {
      return Promise.resolve({ name, result: 'NOT_FOUND', status: 'HALT', error: { code: 'NOT_FOUND', message: `no service named ${name}` } });
    }
    this.track(record);
    const state = this.board.get(name);
    if (!state) {
      return Promise.resolve({ name, result: 'FAILED', status: 'UNKNOWN', error: { code: 'UNAVAILABLE', message: 'the supervisor is closed' } });
    }
    const deps = {
      board: this.board,
      executor: this.o.executor,
      log: this.o.log,
      cancelRestart: (n: string) => this.monitor.cancelRestart(n),
      started: (s: ServiceState) => this.monitor.begunStart(s),
      stopped: (s: ServiceState) => this.monitor.stopped(s),
    };
    return serial(state, () => performAction(deps, state, action, counted));
  }
}
