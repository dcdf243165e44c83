// Whether a service that ended or turned unhealthy is restarted at all, by its restart policy (as edgeAgent's
// `never | on-failure | on-unhealthy | always`). How soon, and when to give up, is RestartBackoff's matter.
import type { RestartPolicy } from '../model.js';

/**
 * What happened to a service meant to run:
 * - `failed-exit`: its process (spawned by the agent) ended with a non-zero status or a signal;
 * - `clean-exit`: its process ended with status 0;
 * - `gone`: checks found it DOWN and the executor does not run it (or cannot tell: the command executor),
 *   so it cannot be told from a crash;
 * - `unhealthy`: checks found it DOWN while its process still runs.
 */
export type RestartCause = 'failed-exit' | 'clean-exit' | 'gone' | 'unhealthy';

const RESTARTS_ON: Record<RestartPolicy, ReadonlySet<RestartCause>> = {
  always: new Set(['failed-exit', 'clean-exit', 'gone', 'unhealthy']),
  'on-unhealthy': new Set(['failed-exit', 'gone', 'unhealthy']),
  'on-failure': new Set(['failed-exit', 'gone']),
  never: new Set(),
};

export function restartWanted(policy: RestartPolicy, cause: RestartCause): boolean {
  return RESTARTS_ON[policy].has(cause);
}

export function exitCause(exit: { code: number | null; signal: string | null }): RestartCause {
  return exit.code === 0 && exit.signal === null ? 'clean-exit' : 'failed-exit';
}
