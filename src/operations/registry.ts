// registry.register / registry.deregister.
import { notFound } from '../errors.js';
import type { OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';
import { mayDecideStart } from '../policy/authorization.js';
import type { Principal } from '../policy/principal.js';

export async function registryRegister(ports: Ports, req: RequestOf<'registry.register'>, caller: Principal): Promise<OperationOutcome> {
  const record = await ports.registry.register(mayDecideStart(caller) ? req : await withStartKept(ports, req));
  ports.services.track(record);
  ports.events.emit({ kind: 'service', type: 'REGISTERED', name: record.name, at: ports.clock.now() });
  return { result: ports.services.view(record) };
}

export async function registryDeregister(ports: Ports, req: RequestOf<'registry.deregister'>): Promise<OperationOutcome> {
  const existing = await ports.registry.get(req.name);
  if (!existing || existing.halted) throw notFound(`no service named ${req.name}`);
  await ports.registry.deregister(req.name);
  ports.services.untrack(req.name);
  ports.events.emit({ kind: 'service', type: 'DEREGISTERED', name: req.name, at: ports.clock.now() });
  return { result: { name: req.name } };
}

/** A registration from someone who may not decide the start command keeps the one already there (if any). */
async function withStartKept(ports: Ports, req: RequestOf<'registry.register'>): Promise<RequestOf<'registry.register'>> {
  const { start: _ignored, ...rest } = req;
  const existing = await ports.registry.get(req.name);
  return existing?.start ? { ...rest, start: existing.start } : rest;
}
