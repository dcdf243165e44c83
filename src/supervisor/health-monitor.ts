// Checks on one schedule, the verdicts they lead to, and the automatic restarts and give-ups that follow.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Executor } from '../executor/executor.js';
import { judgeHeartbeat, judgeProcess, type CheckOutcome } from './check-outcome.js';
import { DeadlineHeap } from '../timing/deadline-heap.js';
import { probeHttp } from './http-probe.js';
import { errorMessage, serial, type ServiceBoard, type ServiceState } from './service-board.js';

export interface HealthMonitorDeps {
  board: ServiceBoard;
  executor: Executor;
  events: EventBus;
  clock: Clock;
  health: Config['health'];
  log: Logger;
  fetchImpl: typeof fetch;
}

/** For the Prometheus front; per-service status and health come from Supervisor.view(). */
export interface SupervisorCounters {
  checksRun: number;
  checksFailed: number;
  restarts: number;
}

// Keys of the one deadline queue: a service has at most one check and one restart pending.
const CHECK = 'c/';
const RESTART = 'r/';

export class HealthMonitor {
  readonly counters: SupervisorCounters = { checksRun: 0, checksFailed: 0, restarts: 0 };
  private readonly queue: DeadlineHeap;
  private readonly closing = new AbortController();
  private closed = false;

  constructor(private readonly d: HealthMonitorDeps) {
    this.queue = new DeadlineHeap(d.clock, (key) => this.onDue(key));
  }

  close(): void {
    this.closed = true;
    this.queue.close();
    this.closing.abort();
  }

  /** The next check in `delayMs`; services with check `none` are never checked. */
  scheduleCheck(state: ServiceState, delayMs: number): void {
    const key = CHECK + state.record.name;
    if (state.record.check.type === 'none') this.queue.cancel(key);
    else this.queue.schedule(key, this.d.clock.now() + delayMs);
  }

  cancelRestart(name: string): void {
    this.queue.cancel(RESTART + name);
  }

  forget(name: string): void {
    this.queue.cancel(CHECK + name);
    this.queue.cancel(RESTART + name);
  }

  /** One check's verdict: a pass is UP at once; `retries` misses in a row are DOWN, and maybe a restart. */
  apply(state: ServiceState, outcome: CheckOutcome, at: number): void {
    const { board, health, log } = this.d;
    const name = state.record.name;
    if (outcome.pass === undefined) return;
    const bootStart = state.bootStart;
    state.bootStart = false;
    if (outcome.pass) {
      state.hasRun = true;
      state.misses = 0;
      state.detail = undefined;
      this.cancelRestart(name);
      board.setHealth(state, 'UP');
      if (state.busy === 0) board.setStatus(state, board.settled(state, 'RUNNING'));
      return;
    }
    this.counters.checksFailed += 1;
    state.misses += 1;
    state.detail = outcome.detail;
    log.debug({ service: name, misses: state.misses, detail: outcome.detail }, 'check missed');
    if (bootStart && this.d.executor.isAlive(name) === false) return void this.startRemembered(state);
    if (state.misses < health.retries) return;
    board.setHealth(state, 'DOWN');
    if (state.busy > 0) return;
    board.setStatus(state, board.settled(state, 'STOPPED'));
    this.considerRestart(state, at);
  }

  private onDue(key: string): void {
    const state = this.d.board.get(key.slice(2));
    if (!state || this.closed) return;
    if (key.startsWith(CHECK)) void this.check(state);
    else void this.restart(state);
  }

  private async check(state: ServiceState): Promise<void> {
    if (state.checking) return;
    state.checking = true;
    const epoch = state.epoch;
    // The check's time is when it began: the cadence then does not drift by how long checks take.
    const at = this.d.clock.now();
    this.counters.checksRun += 1;
    let outcome: CheckOutcome;
    try {
      outcome = await this.probe(state);
    } catch (err) {
      outcome = { pass: false, detail: errorMessage(err) };
    } finally {
      state.checking = false;
    }
    // Untracked (or closed) while the check ran: its answer no longer matters.
    if (this.closed || this.d.board.get(state.record.name) !== state) return;
    if (state.epoch === epoch) {
      state.lastCheckAt = at;
      this.apply(state, outcome, at);
    }
    // A start or restart meanwhile may already have asked for an early check: keep it.
    const key = CHECK + state.record.name;
    const { check } = state.record;
    const everyMs = (check.type === 'http' && check.intervalMs) || this.d.health.intervalMs;
    if (!this.queue.has(key)) this.queue.schedule(key, Math.max(this.d.clock.now(), at + everyMs));
  }

  private probe(state: ServiceState): Promise<CheckOutcome> {
    const { check, name } = state.record;
    const { clock, health } = this.d;
    switch (check.type) {
      case 'http':
        return probeHttp(check.url, { clock, timeoutMs: health.timeoutMs, fetchImpl: this.d.fetchImpl, closing: this.closing.signal, allowedHosts: health.allowedHosts });
      case 'heartbeat':
        return Promise.resolve(judgeHeartbeat(state.lastBeat, clock.now(), health.intervalMs));
      case 'process':
        return Promise.resolve(judgeProcess(this.d.executor, name));
      case 'none':
        return Promise.resolve({ pass: undefined });
    }
  }

  private considerRestart(state: ServiceState, now: number): void {
    const { record } = state;
    if (record.desired !== 'RUNNING' || record.failed || !state.hasRun || this.queue.has(RESTART + record.name)) return;
    const decision = state.policy.decide(now);
    if (decision.action === 'give-up') return this.giveUp(state, decision.restartsInWindow);
    this.queue.schedule(RESTART + record.name, now + decision.delayMs);
    this.d.log.info({ service: record.name, attempt: decision.attempt, delayMs: decision.delayMs }, 'restart scheduled');
  }

  private giveUp(state: ServiceState, restartsInWindow: number): void {
    const { board, events, clock, log, health } = this.d;
    const name = state.record.name;
    void board.save(state, { failed: true });
    board.setStatus(state, 'FAILED');
    events.emit({ kind: 'service', type: 'GAVE_UP', name, attempt: restartsInWindow, at: clock.now() });
    log.error({ service: name, restartsInWindow, windowMs: health.restartWindowMs }, 'gave up restarting; FAILED until an operator starts it');
  }

  /** A service meant to run that the executor does not run since the agent (re)started: start it; not a restart. */
  private startRemembered(state: ServiceState): Promise<void> {
    return serial(state, async () => {
      const { board, log, executor } = this.d;
      const name = state.record.name;
      if (this.closed || state.record.desired !== 'RUNNING' || state.record.failed || state.busy > 0) return;
      state.misses = 0;
      state.epoch += 1;
      state.busy += 1;
      log.info({ service: name }, 'starting a service remembered as running');
      board.setStatus(state, 'STARTING');
      try {
        await executor.start(state.record);
        state.hasRun = true;
        if (state.record.check.type === 'process') this.scheduleCheck(state, 0);
      } catch (err) {
        log.warn({ service: name, err: errorMessage(err) }, 'cannot start a service remembered as running');
        board.setStatus(state, 'STOPPED');
      } finally {
        state.busy -= 1;
      }
    });
  }

  private restart(state: ServiceState): Promise<void> {
    const { record } = state;
    // The operator, a passing check or a new record may have settled the matter since the restart was scheduled.
    if (record.desired !== 'RUNNING' || record.failed || state.health === 'UP' || state.busy > 0) return Promise.resolve();
    return serial(state, async () => {
      const { board, events, clock, log, executor } = this.d;
      const name = state.record.name;
      const attempt = state.policy.recorded(clock.now());
      this.counters.restarts += 1;
      state.misses = 0;
      state.epoch += 1;
      state.busy += 1;
      // Saved alongside the restart: a slow registry must not delay bringing the service back.
      const saved = board.save(state, { restarts: state.record.restarts + 1 });
      try {
        events.emit({ kind: 'service', type: 'RESTART', name, attempt, at: clock.now() });
        log.warn({ service: name, attempt }, 'restarting service');
        board.setStatus(state, 'STARTING');
        await executor.restart(state.record);
        if (state.record.check.type === 'process') this.scheduleCheck(state, 0);
      } catch (err) {
        log.warn({ service: name, attempt, err: errorMessage(err) }, 'automatic restart failed');
        board.setStatus(state, 'STOPPED');
      } finally {
        state.busy -= 1;
        await saved;
      }
    });
  }
}
