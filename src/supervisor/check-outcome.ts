// What one health check says: pass, miss, or (undefined) cannot tell.
import type { Executor } from '../executor/executor.js';

export interface CheckOutcome {
  pass: boolean | undefined;
  /** Why it missed, for HealthView.detail. */
  detail?: string;
}

/**
 * The `heartbeat` check passes when a beat arrived within the last `intervalMs`. With checks every
 * `intervalMs` and DOWN after `retries` misses in a row, a service is DOWN once it has been silent for
 * about `retries * intervalMs`; so it must beat at least that often (the simulator beats every second).
 */
export function judgeHeartbeat(lastBeat: number | undefined, now: number, intervalMs: number): CheckOutcome {
  if (lastBeat === undefined) return { pass: false, detail: 'no heartbeat yet' };
  const age = now - lastBeat;
  return age < intervalMs ? { pass: true } : { pass: false, detail: `last heartbeat ${age} ms ago` };
}

/** The `process` check: alive while the executor's child lives; an executor that cannot tell gives no verdict. */
export function judgeProcess(executor: Executor, name: string): CheckOutcome {
  const alive = executor.isAlive(name);
  if (alive === undefined) return { pass: undefined, detail: `its ${executor.kind === 'per-service' ? '' : `${executor.kind} `}executor cannot tell` };
  return alive ? { pass: true } : { pass: false, detail: 'process not running' };
}
