// The supervisor's runtime state per service, and the one place where it changes: each status or health
// change is one event and one log line (a service that stays down neither repeats events nor fills the log),
// and each change to the record is applied in memory at once, then saved to the registry.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Health, ServiceRecord, ServiceStatus } from '../model.js';
import type { RecordPatch, Registry } from '../registry/registry.js';
import type { RestartPolicy } from './restart-policy.js';

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
  policy: RestartPolicy;
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

  setStatus(state: ServiceState, to: ServiceStatus): void {
    const from = state.status;
    if (from === to) return;
    state.status = to;
    const name = state.record.name;
    this.events.emit({ kind: 'service', type: 'STATUS', name, from, to, at: this.clock.now() });
    this.log.info({ service: name, from, to }, 'service status changed');
  }

  setHealth(state: ServiceState, to: Health): void {
    const from = state.health;
    if (from === to) return;
    state.health = to;
    const name = state.record.name;
    this.events.emit({ kind: 'service', type: 'HEALTH', name, from, to, at: this.clock.now() });
    if (to === 'DOWN') this.log.warn({ service: name, from, detail: state.detail }, 'service is down');
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
    try {
      await this.registry.update(state.record.name, patch);
    } catch (err) {
      this.log.warn({ service: state.record.name, patch, err: errorMessage(err) }, 'cannot save service state');
    }
  }

  /** A fresher record from the registry; the restart count only grows (a stale copy must not undo it). */
  refresh(state: ServiceState, record: ServiceRecord): void {
    state.record = { ...record, restarts: Math.max(record.restarts, state.record.restarts) };
  }
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
