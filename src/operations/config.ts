// config.get / config.set: a service's configuration, merged on write.
import { notFound } from '../errors.js';
import { isPlainObject, type ServiceConfig } from '../model.js';
import type { OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';

export async function configGet(ports: Ports, req: RequestOf<'config.get'>): Promise<OperationOutcome> {
  const record = await ports.registry.get(req.name);
  if (!record || record.halted) throw notFound(`no service named ${req.name}`);
  const config = req.keys
    ? Object.fromEntries(req.keys.filter((k) => k in record.config).map((k) => [k, record.config[k]]))
    : record.config;
  return { result: { name: record.name, config } };
}

/** Deep merge of plain objects; `null` removes a key, arrays and scalars replace. */
export function mergeConfig(base: ServiceConfig, patch: ServiceConfig): ServiceConfig {
  const out: ServiceConfig = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isPlainObject(value) && isPlainObject(out[key])) out[key] = mergeConfig(out[key] as ServiceConfig, value);
    else out[key] = value;
  }
  return out;
}

export async function configSet(ports: Ports, req: RequestOf<'config.set'>): Promise<OperationOutcome> {
  const record = await ports.registry.get(req.name);
  if (!record || record.halted) throw notFound(`no service named ${req.name}`);
  const config = mergeConfig(record.config, req.config);
  const changed = JSON.stringify(config) !== JSON.stringify(record.config);
  if (changed) {
    await ports.registry.update(record.name, { config });
    ports.events.emit({ kind: 'service', type: 'CONFIG', name: record.name, at: ports.clock.now() });
  }
  // The agent cannot hot-reload a foreign service: a running one has to restart to see the change.
  const restartRequired = changed && ports.services.view(record).status === 'RUNNING';
  return { result: { name: record.name, config, restartRequired } };
}
