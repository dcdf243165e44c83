// How a registration becomes a record, and how records change: one set of rules for every provider.
import { invalidRequest } from '../errors.js';
import { isPlainObject, type ServiceConfig, type ServiceRecord, type ServiceRegistration } from '../model.js';
import type { RecordPatch } from './registry.js';

/** Shared registries allocate ids in their backend, first come first served: a requested id is refused there. */
export function idNotRequested(reg: ServiceRegistration, allocate: () => Promise<number>): Promise<number> {
  if (reg.instanceId !== undefined) return Promise.reject(invalidRequest('this registry allocates instance ids itself; a requested instance id is refused'));
  return allocate();
}

/** A first registration: meant to run, never restarted yet. */
export function newRecord(reg: ServiceRegistration, instanceId: number, source: ServiceRecord['source']): ServiceRecord {
  return {
    ...registrationPart(reg),
    config: structuredClone(reg.config ?? {}),
    instanceId,
    desired: 'RUNNING',
    failed: false,
    restarts: 0,
    halted: false,
    source,
    version: 1,
  };
}

/**
 * A registration of a name already known: the registration's own fields (address, check, start,
 * plugin) are replaced, a halted record is revived, and the state the agent owns (instanceId,
 * restarts, desired, failed) is kept. The registration's config fills only keys the stored config
 * lacks: a value an operator set with config.set outlives the service re-registering on each boot.
 */
export function reRegistered(existing: ServiceRecord, reg: ServiceRegistration): ServiceRecord {
  if (reg.instanceId !== undefined && reg.instanceId !== existing.instanceId) {
    throw invalidRequest(`${reg.name} already has instance id ${existing.instanceId}`);
  }
  return {
    ...registrationPart(reg),
    config: withDefaults(existing.config, reg.config ?? {}),
    instanceId: existing.instanceId,
    desired: existing.desired,
    failed: existing.failed,
    restarts: existing.restarts,
    halted: false,
    source: existing.source,
    version: (existing.version ?? 0) + 1,
  };
}

export function patched(record: ServiceRecord, patch: RecordPatch): ServiceRecord {
  const next: ServiceRecord = { ...record };
  if (patch.config !== undefined) next.config = structuredClone(patch.config);
  if (patch.desired !== undefined) next.desired = patch.desired;
  if (patch.failed !== undefined) next.failed = patch.failed;
  if (patch.restarts !== undefined) next.restarts = patch.restarts;
  if (patch.halted !== undefined) next.halted = patch.halted;
  next.version = (record.version ?? 0) + 1;
  return next;
}

/** Deep merge where `stored` wins; `defaults` only add keys that are missing (recursively for objects). */
export function withDefaults(stored: ServiceConfig, defaults: ServiceConfig): ServiceConfig {
  const out: ServiceConfig = structuredClone(defaults);
  for (const [key, value] of Object.entries(stored)) {
    const base = out[key];
    out[key] = isPlainObject(value) && isPlainObject(base) ? withDefaults(value, base) : structuredClone(value);
  }
  return out;
}

/** The keys of `now` that `before` lacked (recursively): what a newer manifest adds to an older one. */
export function addedKeys(now: ServiceConfig, before: ServiceConfig): ServiceConfig {
  const out: ServiceConfig = {};
  for (const [key, value] of Object.entries(now)) {
    const old = before[key];
    if (!(key in before)) out[key] = structuredClone(value);
    else if (isPlainObject(value) && isPlainObject(old)) {
      const inner = addedKeys(value, old);
      if (Object.keys(inner).length > 0) out[key] = inner;
    }
  }
  return out;
}

export function copyRecord(record: ServiceRecord): ServiceRecord {
  return structuredClone(record);
}

type RegistrationPart = Pick<ServiceRecord, 'name' | 'host' | 'port' | 'check' | 'start' | 'container' | 'plugin' | 'restartPolicy' | 'startGraceMs'>;

function registrationPart(reg: ServiceRegistration): RegistrationPart {
  const part: RegistrationPart = {
    name: reg.name,
    check: structuredClone(reg.check),
    plugin: reg.plugin ?? false,
  };
  if (reg.host !== undefined) part.host = reg.host;
  if (reg.port !== undefined) part.port = reg.port;
  if (reg.start !== undefined) part.start = structuredClone(reg.start);
  if (reg.container !== undefined) part.container = structuredClone(reg.container);
  if (reg.restartPolicy !== undefined) part.restartPolicy = reg.restartPolicy;
  if (reg.startGraceMs !== undefined) part.startGraceMs = reg.startGraceMs;
  return part;
}
