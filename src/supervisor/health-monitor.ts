// Checks on one schedule, the verdicts they lead to, and the automatic restarts and give-ups that follow.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Executor, ProcessExit } from '../executor/executor.js';
import type { RestartPolicy } from '../model.js';
import { judgeHeartbeat, judgeProcess, type CheckOutcome } from './check-outcome.js';
import { exitCause, restartWanted, type RestartCause } from './restart-policy.js';
import { DeadlineHeap } from '../timing/deadline-heap.js';
import { probeHttp } from './http-probe.js';
import type { ExitMemory } from './exit-memory.js';
import { errorMessage, meantToRun, serial, type ServiceBoard, type ServiceState } from './service-board.js';

export interface HealthMonitorDeps {
  board: ServiceBoard;
  executor: Executor;
  events: EventBus;
  clock: Clock;
  health: Config['health'];
  log: Logger;
  fetchImpl: typeof fetch;
  exits?: ExitMemory;
}

/** For the Prometheus front; per-service status and health come from Supervisor.view(). */
export interface SupervisorCounters {
  checksRun: number;
  checksFailed: number;
  restarts: number;
}

// Keys of the one deadline queue: a service has at most one check, one restart and one healthy-run end pending.
const CHECK = 'c/';
const RESTART = 'r/';
const HEALTHY = 'h/';
/** The first check after a (re)start comes this soon; misses until UP are retried at doubling delays up to EARLY_MAX_STEP_MS. */
const EARLY_FIRST_MS = 50;
const EARLY_MAX_STEP_MS = 1_000;

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

  /** The next check in `delayMs`; services with check `none`, and services meant to be stopped, are not checked. */
  scheduleCheck(state: ServiceState, delayMs: number): void {
    const key = CHECK + state.record.name;
    if (state.record.check.type === 'none' || state.record.desired === 'STOPPED') this.queue.cancel(key);
    else this.queue.schedule(key, this.d.clock.now() + delayMs);
  }

  /**
   * A start or restart went through: the new process or container has not been checked, so health is UNKNOWN;
   * its first check comes at once and is retried briefly until UP (up to one interval), and misses within the
   * start grace do not count (a slow boot is not restarted in a loop).
   */
  begunStart(state: ServiceState): void {
    const now = this.d.clock.now();
    const grace = state.record.startGraceMs ?? this.d.health.startGraceMs;
    state.graceUntil = grace > 0 ? now + grace : undefined;
    state.earlyUntil = now + this.d.health.intervalMs;
    state.earlyStepMs = EARLY_FIRST_MS;
    // A beat from before the start says nothing about the new process.
    state.lastBeat = undefined;
    state.detail = undefined;
    this.endHealthyRun(state);
    this.d.board.setHealth(state, 'UNKNOWN');
    this.scheduleCheck(state, state.record.check.type === 'process' ? 0 : EARLY_FIRST_MS);
  }

  /**
   * What runs these services went away (the Docker engine): their health is UNKNOWN, pending restarts wait, and
   * misses do not count (one log line, the executor's). Back: what no longer runs is restarted by its policy,
   * the rest checked at once.
   */
  reachability(reachable: boolean, names: string[]): void {
    const { board, clock } = this.d;
    for (const name of names) {
      const state = board.get(name);
      if (!state || state.record.desired !== 'RUNNING') continue;
      state.epoch += 1;
      state.misses = 0;
      if (!reachable) {
        this.cancelRestart(name);
        this.endHealthyRun(state);
        state.detail = 'its executor cannot reach the Docker engine';
        board.setHealth(state, 'UNKNOWN', true);
        if (state.status === 'BACKOFF' || state.status === 'STARTING') board.setStatus(state, 'UNKNOWN');
        continue;
      }
      state.detail = undefined;
      if (state.busy === 0 && !state.record.failed && this.d.executor.isAlive(name) === false) {
        board.setHealth(state, 'DOWN', true);
        if (restartWanted(this.policyOf(state), 'gone') && this.considerRestart(state, clock.now(), 'gone')) continue;
        board.setStatus(state, board.settled(state, 'STOPPED'));
        continue;
      }
      this.scheduleCheck(state, 0);
    }
  }

  /** The restart policy in force: the registration's own, else the config's default. */
  policyOf(state: ServiceState): RestartPolicy {
    return state.record.restartPolicy ?? this.d.health.restartPolicy;
  }

  /**
   * The process the executor spawned ended without being asked to: that is a verdict at once (DOWN), and
   * the restart policy decides on a restart after the back-off, without waiting for checks to miss.
   */
  exited(state: ServiceState, exit: ProcessExit): void {
    const { board, events, log, clock } = this.d;
    const name = state.record.name;
    // On the supervisor's clock, like every other time it keeps.
    const at = clock.now();
    state.lastExit = { ...exit, at };
    this.d.exits?.remember(name, state.lastExit).catch((err: unknown) => log.warn({ err: errorMessage(err), name }, 'cannot save the last exit'));
    const exitCode = exit.code ?? undefined;
    const exitSignal = exit.signal ?? undefined;
    events.emit({ kind: 'service', type: 'EXIT', name, ...(exitCode !== undefined && { exitCode }), ...(exitSignal !== undefined && { exitSignal }), at });
    if (exit.expected || state.record.desired !== 'RUNNING') return;
    // An exit counts at once, start grace or not.
    state.graceUntil = undefined;
    state.earlyUntil = undefined;
    state.exitedSinceStart = true;
    state.hasRun = true;
    // A check begun before the exit says nothing about after it.
    state.epoch += 1;
    state.misses = Math.max(state.misses, this.d.health.retries);
    const what = state.record.container && !state.record.start ? `container ${state.record.container.name}` : 'process';
    state.detail = exit.signal ? `${what} killed by ${exit.signal}` : `${what} exited with status ${exit.code}`;
    this.endHealthyRun(state);
    board.setHealth(state, 'DOWN');
    // An operator action or an automatic restart under way settles the status itself.
    if (state.busy > 0) return;
    const cause = exitCause(exit);
    if (restartWanted(this.policyOf(state), cause)) {
      if (this.considerRestart(state, at, cause)) return;
    } else {
      log.info({ service: name, restartPolicy: this.policyOf(state), cause }, 'not restarted: its restart policy says no');
    }
    board.setStatus(state, board.settled(state, 'STOPPED'));
  }

  cancelRestart(name: string): void {
    this.queue.cancel(RESTART + name);
  }

  forget(name: string): void {
    this.queue.cancel(CHECK + name);
    this.queue.cancel(RESTART + name);
    this.queue.cancel(HEALTHY + name);
  }

  /** An operator's stop: no checks, no restart, no healthy run to finish. */
  stopped(state: ServiceState): void {
    this.forget(state.record.name);
    state.upSince = undefined;
  }

  /** One check's verdict: a pass is UP at once; `retries` misses in a row are DOWN, and maybe a restart. */
  apply(state: ServiceState, outcome: CheckOutcome, at: number): void {
    const { board, health, log } = this.d;
    const name = state.record.name;
    if (outcome.pass === undefined) return;
    const bootStart = state.bootStart;
    state.bootStart = false;
    if (outcome.pass) {
      state.graceUntil = undefined;
      state.earlyUntil = undefined;
      state.hasRun = true;
      state.misses = 0;
      state.detail = undefined;
      this.cancelRestart(name);
      if (state.health !== 'UP') this.beginHealthyRun(state, at);
      board.setHealth(state, 'UP');
      if (state.busy === 0) board.setStatus(state, board.settled(state, 'RUNNING'));
      return;
    }
    this.counters.checksFailed += 1;
    state.detail = outcome.detail;
    // What runs it cannot be reached (the Docker engine is gone): no verdict until it answers again.
    if (this.d.executor.reachable?.(name) === false) return;
    // The quick checks right after a start look for the first UP; a miss there is "not yet", like one in the grace.
    if (at < (state.graceUntil ?? 0) || at < (state.earlyUntil ?? 0)) {
      log.debug({ service: name, detail: outcome.detail }, 'check missed soon after the start: not counted');
      return;
    }
    state.graceUntil = undefined;
    state.misses += 1;
    log.debug({ service: name, misses: state.misses, detail: outcome.detail }, 'check missed');
    if (bootStart && this.d.executor.isAlive(name) === false) return void this.startRemembered(state);
    if (state.misses < health.retries) return;
    this.endHealthyRun(state);
    board.setHealth(state, 'DOWN');
    if (state.busy > 0) return;
    const cause = this.causeOfDown(state);
    if (restartWanted(this.policyOf(state), cause) && this.considerRestart(state, at, cause)) return;
    board.setStatus(state, board.settled(state, 'STOPPED'));
  }

  /** What a DOWN found by checks means: an exit already seen repeats its cause; else the executor tells gone from unhealthy. */
  private causeOfDown(state: ServiceState): RestartCause {
    if (state.exitedSinceStart && state.lastExit) return exitCause(state.lastExit);
    return this.d.executor.isAlive(state.record.name) === true ? 'unhealthy' : 'gone';
  }

  /** UP from now on: once it has lasted `healthyRunMs`, the back-off starts over (see onDue). */
  private beginHealthyRun(state: ServiceState, at: number): void {
    state.upSince = at;
    this.queue.schedule(HEALTHY + state.record.name, at + this.d.health.healthyRunMs);
  }

  private endHealthyRun(state: ServiceState): void {
    state.upSince = undefined;
    this.queue.cancel(HEALTHY + state.record.name);
  }

  private onDue(key: string): void {
    const state = this.d.board.get(key.slice(2));
    if (!state || this.closed) return;
    if (key.startsWith(CHECK)) void this.check(state);
    else if (key.startsWith(RESTART)) void this.restart(state);
    else if (state.health === 'UP' && state.upSince !== undefined) {
      state.backoff.reset();
      this.d.log.debug({ service: state.record.name, healthyRunMs: this.d.health.healthyRunMs }, 'healthy run: back-off cleared');
    }
  }

  private async check(state: ServiceState): Promise<void> {
    if (state.checking || !meantToRun(state)) return;
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
    // A start or restart meanwhile may already have asked for an early check: keep it. A stop meanwhile: none.
    const key = CHECK + state.record.name;
    const { check } = state.record;
    const everyMs = (check.type === 'http' && check.intervalMs) || this.d.health.intervalMs;
    if (!this.queue.has(key) && meantToRun(state)) this.queue.schedule(key, Math.max(this.d.clock.now(), at + (this.earlyStep(state, at) ?? everyMs)));
  }

  /** Soon after a (re)start and until UP: the next early check's delay (doubling); undefined once past. */
  private earlyStep(state: ServiceState, at: number): number | undefined {
    if (state.earlyUntil === undefined || state.health === 'UP') return undefined;
    const left = state.earlyUntil - at;
    if (left <= 0) {
      state.earlyUntil = undefined;
      return undefined;
    }
    const step = Math.min(state.earlyStepMs ?? EARLY_FIRST_MS, left);
    state.earlyStepMs = Math.min((state.earlyStepMs ?? EARLY_FIRST_MS) * 2, EARLY_MAX_STEP_MS);
    return step;
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

  /**
   * A restart after the back-off (status BACKOFF until then), or FAILED when the limit is reached. False when
   * no restart is due (not meant to run, FAILED, never run yet): the caller settles the status.
   */
  private considerRestart(state: ServiceState, now: number, cause: RestartCause): boolean {
    const { record } = state;
    if (this.queue.has(RESTART + record.name)) return true;
    if (record.desired !== 'RUNNING' || record.failed || !state.hasRun) return false;
    // Nobody here runs it (registered without start or container): a restart would be a claim, not an act.
    if (this.d.executor.refusal?.(record) !== undefined) return false;
    const decision = state.backoff.decide(now);
    if (decision.action === 'give-up') {
      this.giveUp(state, decision.restartsInWindow);
      return true;
    }
    const due = now + decision.delayMs;
    this.queue.schedule(RESTART + record.name, due);
    this.d.board.setStatus(state, 'BACKOFF', due);
    this.d.log.info({ service: record.name, cause, attempt: decision.attempt, delayMs: decision.delayMs }, 'restart scheduled');
    return true;
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
      state.exitedSinceStart = false;
      // Not "remembered": on a first start the record comes from the manifest or a registry, not from an earlier run.
      log.info({ service: name }, 'starting a service meant to run that no process serves');
      board.setStatus(state, 'STARTING');
      try {
        await executor.start(state.record);
        state.hasRun = true;
        this.begunStart(state);
      } catch (err) {
        log.warn({ service: name, err: errorMessage(err) }, 'cannot start a service meant to run');
        board.setStatus(state, 'STOPPED');
      } finally {
        state.busy -= 1;
      }
    });
  }

  private restart(state: ServiceState): Promise<void> {
    const { record } = state;
    // The operator, a passing check or a new record may have settled the matter since the restart was scheduled.
    if (record.desired !== 'RUNNING' || record.failed || state.health === 'UP' || state.busy > 0) {
      if (state.status === 'BACKOFF' && state.busy === 0) this.d.board.setStatus(state, this.d.board.settled(state, 'STOPPED'));
      return Promise.resolve();
    }
    return serial(state, async () => {
      const { board, events, clock, log, executor } = this.d;
      const name = state.record.name;
      const attempt = state.backoff.recorded(clock.now());
      this.counters.restarts += 1;
      state.misses = 0;
      state.epoch += 1;
      state.busy += 1;
      state.exitedSinceStart = false;
      // Saved alongside the restart: a slow registry must not delay bringing the service back.
      const saved = board.save(state, { restarts: state.record.restarts + 1 });
      try {
        events.emit({ kind: 'service', type: 'RESTART', name, attempt, at: clock.now() });
        log.warn({ service: name, attempt }, 'restarting service');
        board.setStatus(state, 'STARTING');
        await executor.restart(state.record);
        this.begunStart(state);
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
