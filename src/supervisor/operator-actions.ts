// An operator's start, stop and restart of one service: desired state first, then the executor, then one BatchItem.
import type { Logger } from 'pino';
import { SmaError } from '../errors.js';
import type { Executor } from '../executor/executor.js';
import type { BatchItem, ServiceStatus } from '../model.js';
import type { ServiceBoard, ServiceState } from './service-board.js';

export type OperatorAction = 'start' | 'stop' | 'restart';

export interface OperatorActionDeps {
  board: ServiceBoard;
  executor: Executor;
  log: Logger;
  /** Drops a pending automatic restart: the operator's word wins. */
  cancelRestart(name: string): void;
  /** Called after a successful start or restart (the supervisor re-checks what it can check at once). */
  started(state: ServiceState): void;
  /** Called once a service is meant to be stopped: its checks, restart and healthy run end. */
  stopped(state: ServiceState): void;
}

/**
 * `stop` makes the desired state STOPPED, so the supervisor never restarts the service; `start` and
 * `restart` make it RUNNING. All three clear FAILED: an operator acting on a service that gave up has seen it.
 */
export async function performAction(deps: OperatorActionDeps, state: ServiceState, action: OperatorAction, counted = false): Promise<BatchItem> {
  const { board, executor, log } = deps;
  const name = state.record.name;
  const before = state.status;
  // Nothing to act with (registered through Keeper, Consul or etcd without start or container): say so, change nothing.
  const refusal = executor.refusal?.(state.record);
  if (refusal) return { name, result: 'FAILED', status: before, error: { code: 'EXECUTOR_FAILED', message: refusal } };
  // Starting what runs and is meant to changes nothing: OK, no events, no save.
  if (action === 'start' && before === 'RUNNING' && state.record.desired === 'RUNNING' && !state.record.failed) {
    return { name, result: 'OK', status: before };
  }
  // Stopping what is already stopped (and meant to be) changes nothing: OK, no events, no save.
  if (action === 'stop' && state.record.desired === 'STOPPED' && before === 'STOPPED' && executor.isAlive(name) !== true) {
    return { name, result: 'OK', status: before };
  }
  state.busy += 1;
  state.epoch += 1;
  try {
    await board.save(state, { desired: action === 'stop' ? 'STOPPED' : 'RUNNING', failed: false, ...(counted ? { restarts: state.record.restarts + 1 } : {}) });
    deps.cancelRestart(name);
    state.backoff.reset();
    state.misses = 0;
    state.exitedSinceStart = false;
    if (action === 'stop') deps.stopped(state);
    board.setStatus(state, action === 'stop' ? 'STOPPING' : 'STARTING');
    try {
      await executor[action](state.record);
    } catch (err) {
      const item = failureItem(name, err, board.settled(state, before === 'FAILED' ? 'UNKNOWN' : before));
      board.setStatus(state, item.status);
      log.warn({ service: name, action, error: item.error }, 'service action failed');
      return item;
    }
    if (action === 'stop') {
      state.detail = 'stopped by an operator';
      board.setHealth(state, 'DOWN');
    }
    board.setStatus(state, statusAfter(state, action));
    if (action !== 'stop') {
      state.hasRun = true;
      deps.started(state);
    }
    return { name, result: 'OK', status: state.status };
  } finally {
    state.busy -= 1;
  }
}

/** Right after a successful action: STOPPED, or (no check to wait for) RUNNING, else STARTING until a check passes. */
function statusAfter(state: ServiceState, action: OperatorAction): ServiceStatus {
  if (action === 'stop') return 'STOPPED';
  return state.record.check.type === 'none' ? 'RUNNING' : 'STARTING';
}

/** An executor's failure as a batch item: its time-out is TIMEOUT, anything else EXECUTOR_FAILED. */
export function failureItem(name: string, err: unknown, status: ServiceStatus): BatchItem {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof SmaError && err.code === 'TIMEOUT') {
    return { name, result: 'TIMEOUT', status, error: { code: 'TIMEOUT', message } };
  }
  return { name, result: 'FAILED', status, error: { code: 'EXECUTOR_FAILED', message } };
}
