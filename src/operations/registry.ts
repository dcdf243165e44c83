// registry.register / registry.deregister.
import { notFound } from '../errors.js';
import type { OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';

export async function registryRegister(ports: Ports, req: RequestOf<'registry.register'>): Promise<OperationOutcome> {
  const record = await ports.registry.register(req);
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
