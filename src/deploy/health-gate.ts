// The health gate (CONTRACT section 13): the service must be RUNNING and UP without a break for healthyForMs,
// within timeoutMs. An exit, a DOWN or a stop while gating fails it at once.
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { ServiceRecord } from '../model.js';
import type { ServiceControl } from '../supervisor/service-control.js';
import { abortedStep } from './cancel-rules.js';
import { DeployFailure } from './deployment.js';

const POLL_MS = 100;

export interface GateDeps {
  services: ServiceControl;
  events: EventBus;
  clock: Clock;
}

/** `signal`: a cancel, which fails the gate at once (INTERRUPTED). */
export function passGate(deps: GateDeps, record: ServiceRecord, gate: { healthyForMs: number; timeoutMs: number }, signal?: AbortSignal): Promise<void> {
  const { services, events, clock } = deps;
  const startedAt = clock.now();
  return new Promise<void>((resolve, reject) => {
    let healthySince: number | undefined;
    let cancelTimer = (): void => undefined;
    let done = false;
    const onAbort = (): void => end(abortedStep());
    const end = (err?: DeployFailure): void => {
      if (done) return;
      done = true;
      cancelTimer();
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const unsubscribe = events.on((e) => {
      if (e.kind !== 'service' || e.name !== record.name) return;
      if (e.type === 'EXIT') end(new DeployFailure('GATE', `${record.name} exited while gated (${e.exitSignal ?? `code ${e.exitCode}`})`));
      else if (e.type === 'HEALTH' && e.to === 'DOWN') end(new DeployFailure('GATE', `${record.name} went DOWN while gated`));
    });
    const look = (): void => {
      if (done) return;
      const now = clock.now();
      const view = services.view(record);
      if (view.status === 'FAILED' || view.status === 'STOPPED' || view.status === 'BACKOFF' || view.status === 'HALT') {
        return end(new DeployFailure('GATE', `${record.name} is ${view.status} while gated`));
      }
      if (view.status === 'RUNNING' && view.health === 'UP') healthySince ??= now;
      else healthySince = undefined;
      if (healthySince !== undefined && now - healthySince >= gate.healthyForMs) return end();
      if (now - startedAt >= gate.timeoutMs) {
        return end(new DeployFailure('GATE', `${record.name} was not RUNNING and UP for ${gate.healthyForMs} ms within ${gate.timeoutMs} ms (status ${view.status}, health ${view.health})`));
      }
      cancelTimer = clock.setTimeout(look, POLL_MS);
    };
    if (signal?.aborted) return end(abortedStep());
    signal?.addEventListener('abort', onAbort, { once: true });
    look();
  });
}
