// The supervisor's runtime state per service, and the one place where it changes: each status or health
// change is one event and one log line (a service that stays down neither repeats events nor fills the log),
// and each change to the record is applied in memory at once, then saved to the registry.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { ProcessExit } from '../executor/executor.js';
import type { Health, ServiceRecord, ServiceStatus } from '../model.js';
import type { RecordPatch, Registry } from '../registry/registry.js';
import type { RestartBackoff } from './restart-backoff.js';

export interface ServiceState {
  record: ServiceRecord;
  status: ServiceStatus;
  health: Health;
  /** Checks missed in a row since the last pass (or since the last start or restart). */
  misses: number;
  /**
   * Seen UP or started during this run of the agent, or remembered as running when it started. Only such a
   * service is restarted: a registration that nobody has started yet is not "restarted" into life.
   */
  hasRun: boolean;
  /** Remembered as meant to run when the agent started: if the first check misses, start it (see Supervisor.resync). */
  bootStart: boolean;
  /** Bumped by every start, stop or restart: a check begun before one of them says nothing about after. */
  epoch: number;
  lastCheckAt?: number;
  detail?: string;
  lastBeat?: number;
  backoff: RestartBackoff;
  /** How the service's process last ended (process executor only). */
  lastExit?: ProcessExit;
  /** The process exited since it was last started: checks that miss now repeat what the exit said. */
  exitedSinceStart: boolean;
  /** While BACKOFF: when the automatic restart is due. */
  nextAttemptAt?: number;
  /** After a (re)start: misses before this time do not count (the start grace), until the first UP. */
  graceUntil?: number;
  /** After a (re)start: checks come early and often until UP or until this time, then at the usual interval. */
  earlyUntil?: number;
  /** The next early check's delay (doubles each time). */
  earlyStepMs?: number;
  /** UP without a break since then (for the healthy run that clears the back-off). */
  upSince?: number;
  /** Saves to the registry under way: until they are done, a registry snapshot may predate them. */
  saving: number;
  /** The record version the registry last confirmed (see refresh). */
  savedVersion: number;
  /** A check is in flight; the next one is scheduled when it ends. */
  checking: boolean;
  /** Operator actions or an automatic restart in progress: checks then change health, not status. */
  busy: number;
  /** Actions on one service run one after another. */
  chain: Promise<unknown>;
}

export class ServiceBoard {
  private readonly states = new Map<string, ServiceState>();

  constructor(
    private readonly registry: Registry,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  get(name: string): ServiceState | undefined {
    return this.states.get(name);
  }

  set(state: ServiceState): void {
    this.states.set(state.record.name, state);
  }

  delete(name: string): boolean {
    return this.states.delete(name);
  }

  all(): ServiceState[] {
    return [...this.states.values()];
  }

  names(): string[] {
    return [...this.states.keys()];
  }

  /** `nextAttemptAt` goes with BACKOFF: a new time for the next attempt is a change too. */
  setStatus(state: ServiceState, to: ServiceStatus, nextAttemptAt?: number): void {
    const from = state.status;
    const next = to === 'BACKOFF' ? nextAttemptAt : undefined;
    if (from === to && state.nextAttemptAt === next) return;
    state.status = to;
    state.nextAttemptAt = next;
    const name = state.record.name;
    if (next === undefined) {
      this.events.emit({ kind: 'service', type: 'STATUS', name, from, to, at: this.clock.now() });
      this.log.info({ service: name, from, to }, 'service status changed');
    } else {
      this.events.emit({ kind: 'service', type: 'STATUS', name, from, to, nextAttemptAt: next, at: this.clock.now() });
      this.log.info({ service: name, from, to, nextAttemptAt: new Date(next).toISOString() }, 'service status changed');
    }
  }

  /** `quiet`: the event only; whoever caused a change of many services at once logs it once itself. */
  setHealth(state: ServiceState, to: Health, quiet = false): void {
    const from = state.health;
    if (from === to) return;
    state.health = to;
    const name = state.record.name;
    this.events.emit({ kind: 'service', type: 'HEALTH', name, from, to, at: this.clock.now() });
    if (quiet) return;
    // An intended stop is not news: only a service meant to run that goes down is a warning.
    if (to === 'DOWN' && state.record.desired === 'RUNNING') this.log.warn({ service: name, from, detail: state.detail }, 'service is down');
    else this.log.info({ service: name, from, to }, 'service health changed');
  }

  /** The status a service settles in when nothing is in progress, from what the checks last said. */
  settled(state: ServiceState, otherwise: ServiceStatus): ServiceStatus {
    if (state.record.failed) return 'FAILED';
    if (state.health === 'UP') return 'RUNNING';
    if (state.health === 'DOWN') return 'STOPPED';
    return otherwise;
  }

  /** Applies a patch in memory at once, then saves it; a registry that cannot save is logged, not fatal. */
  async save(state: ServiceState, patch: RecordPatch): Promise<void> {
    state.record = { ...state.record, ...patch };
    state.saving += 1;
    try {
      const saved = await this.registry.update(state.record.name, patch);
      if (saved) state.savedVersion = Math.max(state.savedVersion, saved.version ?? 0);
    } catch (err) {
      this.log.warn({ service: state.record.name, patch, err: errorMessage(err) }, 'cannot save service state');
    } finally {
      state.saving -= 1;
    }
  }

  /**
   * A record from the registry (a resync or a registration). What the agent itself decides (desired state,
   * FAILED, the restart count) is taken from it only when it is at least as new as the agent's own last save:
   * a snapshot read before a concurrent stop was saved must not turn the service back to RUNNING.
   */
  refresh(state: ServiceState, record: ServiceRecord): void {
    const version = record.version ?? 0;
    const stale = state.saving > 0 || version < state.savedVersion;
    const { desired, failed } = stale ? state.record : record;
    state.record = { ...record, desired, failed, restarts: Math.max(record.restarts, state.record.restarts) };
    if (!stale) state.savedVersion = version;
  }
}

/** Read afresh each time: an operator's stop may land while a check is awaited. */
export function meantToRun(state: ServiceState): boolean {
  return state.record.desired === 'RUNNING';
}

/** Runs `fn` after whatever is already running on the service. */
export function serial<T>(state: ServiceState, fn: () => Promise<T>): Promise<T> {
  const run = state.chain.then(fn, fn);
  state.chain = run.catch(() => undefined);
  return run;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
