// The executor as the supervisor sees it once deployments exist: a service's start is that of the version it
// runs now (the deploy engine's slots), so every start and restart, automatic ones too, runs that version.
import type { Executor } from '../executor/executor.js';
import type { ServiceRecord } from '../model.js';
import { delegate } from './delegate.js';
import type { Slot } from './deployment.js';
import { resolveStart } from './versioned-start.js';

export function versionedExecutor(inner: Executor, dataDir: string, activeSlot: (name: string) => Slot | undefined): Executor {
  const resolved = (service: ServiceRecord): ServiceRecord => {
    const slot = activeSlot(service.name);
    if (slot?.version === undefined) return service;
    return { ...service, start: resolveStart(dataDir, service.name, service.start, slot) };
  };
  // Only start and restart read `start`.
  return delegate(inner, {
    start: (s: ServiceRecord) => inner.start(resolved(s)),
    restart: (s: ServiceRecord) => inner.restart(resolved(s)),
  });
}
