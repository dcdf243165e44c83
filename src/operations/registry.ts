// registry.register / registry.deregister.
import { conflict, notFound } from '../errors.js';
import type { ServiceConfig, ServiceRecord, ServiceRegistration } from '../model.js';
import { mergeConfig } from './config-merge.js';
import { keyOf, nest, serviceOfKey } from './kv-keys.js';
import type { OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';
import { mayDecideStart } from '../policy/authorization.js';
import type { Principal } from '../policy/principal.js';
import { heldByDeployment } from './deployment-hold.js';

export async function registryRegister(ports: Ports, request: RequestOf<'registry.register'>, caller: Principal): Promise<OperationOutcome> {
  const { expect, ...req } = request;
  // Checked under the inbox's per-service lock, so no other command on this name runs in between.
  if (expect !== undefined) {
    const existing = await ports.registry.get(req.name);
    if (expect === 'absent' && existing) throw conflict(`a registration for ${req.name} exists${existing.halted ? ' (deregistered)' : ''}`);
    if (expect === 'present' && !existing) throw notFound(`no registration for ${req.name}`);
  }
  let record = await ports.registry.register(mayDecideStart(caller) ? req : await withStartKept(ports, req));
  record = await adoptStoredKeys(ports, record);
  ports.services.track(record);
  ports.events.emit({ kind: 'service', type: 'REGISTERED', name: record.name, at: ports.clock.now() });
  return { result: ports.services.view(record) };
}

export async function registryDeregister(ports: Ports, req: RequestOf<'registry.deregister'>): Promise<OperationOutcome> {
  const existing = await ports.registry.get(req.name);
  if (!existing || existing.halted) throw notFound(`no service named ${req.name}`);
  const held = heldByDeployment(ports, req.name);
  if (held) throw held;
  // A package resting at DELIVERED would be installed into a service that is gone: it goes with the service.
  await ports.deploy?.discard(req.name);
  await ports.registry.deregister(req.name);
  ports.services.untrack(req.name);
  ports.events.emit({ kind: 'service', type: 'DEREGISTERED', name: req.name, at: ports.clock.now() });
  return { result: { name: req.name } };
}

/** A registration from someone who may not decide how the service runs keeps the start command or container already there (if any). */
async function withStartKept(ports: Ports, req: ServiceRegistration): Promise<ServiceRegistration> {
  const { start: _ignored, container: _alsoIgnored, ...rest } = req;
  const existing = await ports.registry.get(req.name);
  return { ...rest, ...(existing?.start && { start: existing.start }), ...(existing?.container && { container: existing.container }) };
}

/**
 * EdgeX services write their configuration to the KV store before they register: on registration those
 * keys become the service's configuration (what config.get shows) and leave the plain KV store.
 */
async function adoptStoredKeys(ports: Ports, record: ServiceRecord): Promise<ServiceRecord> {
  const prefix = keyOf(ports.kv.serviceRoot, record.name, []);
  const stored = await ports.kv.list(prefix);
  if (stored.length === 0) return record;
  const patch = stored.reduce<ServiceConfig>((acc, e) => mergeConfig(acc, nest(serviceOfKey(ports.kv.serviceRoot, e.key)!.path, e.value)), {});
  const config = mergeConfig(patch, record.config);
  const updated = (await ports.registry.update(record.name, { config })) ?? record;
  await ports.kv.delete(stored.map((e) => e.key));
  return updated;
}

/** Registry records as a view plus what a registry API shows of the registration (Core Keeper). */
export async function registryEntries(ports: Ports, req: RequestOf<'registry.entries'>): Promise<OperationOutcome> {
  const records = (await ports.registry.list()).filter((r) => (req.includeDeregistered || !r.halted) && (!req.names || req.names.includes(r.name)));
  return { result: records.map((r) => ({ ...ports.services.view(r), check: r.check, halted: r.halted })) };
}
