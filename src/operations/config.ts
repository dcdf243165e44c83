// config.get / config.set: a service's configuration, merged on write.
import { notFound } from '../errors.js';
import type { ServiceConfig, ServiceRecord } from '../model.js';
import { mergeConfig } from './config-merge.js';
import { changedLeaves, keyOf } from './kv-keys.js';
import type { OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';

export async function configGet(ports: Ports, req: RequestOf<'config.get'>): Promise<OperationOutcome> {
  const record = await ports.registry.get(req.name);
  if (!record || record.halted) throw notFound(`no service named ${req.name}`);
  const config = req.keys
    ? Object.fromEntries(req.keys.filter((k) => Object.hasOwn(record.config, k)).map((k) => [k, record.config[k]]))
    : record.config;
  return { result: { name: record.name, config } };
}

export async function configSet(ports: Ports, req: RequestOf<'config.set'>): Promise<OperationOutcome> {
  const record = await ports.registry.get(req.name);
  if (!record || record.halted) throw notFound(`no service named ${req.name}`);
  return { result: await applyConfig(ports, record, req.config) };
}

/**
 * Merges `patch` into the service's configuration; on a change emits CONFIG and one KV event per changed
 * leaf (EdgeX keeper clients watch those). Shared by config.set and KV writes under the service's keys.
 */
export async function applyConfig(ports: Ports, record: ServiceRecord, patch: ServiceConfig): Promise<{ name: string; config: ServiceConfig; restartRequired: boolean }> {
  const config = mergeConfig(record.config, patch);
  const changes = changedLeaves(record.config, config);
  if (changes.length > 0) {
    await ports.registry.update(record.name, { config });
    const at = ports.clock.now();
    ports.events.emit({ kind: 'service', type: 'CONFIG', name: record.name, at });
    for (const [path, value] of changes) ports.events.emit({ kind: 'kv', key: keyOf(ports.kv.serviceRoot, record.name, path), value, at });
  }
  // The agent cannot hot-reload a foreign service: a running one has to restart to see the change.
  const restartRequired = changes.length > 0 && ports.services.view(record).status === 'RUNNING';
  return { name: record.name, config, restartRequired };
}
