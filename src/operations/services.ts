// services.* operations: list, health, metrics, and the start/stop/restart batches.
import type { BatchItem, ServiceRecord } from '../model.js';
import type { OperationOutcome, Ports } from './ports.js';
import type { BatchRequest, RequestOf } from './schemas.js';
import { heldByDeployment } from './deployment-hold.js';

const visible = (r: ServiceRecord): boolean => !r.halted;

export async function servicesList(ports: Ports, req: RequestOf<'services.list'>): Promise<OperationOutcome> {
  const records = await ports.registry.list();
  const shown = req.includeDeregistered ? records : records.filter(visible);
  return { result: shown.map((r) => ports.services.view(r)) };
}

async function pick(ports: Ports, names: string[] | undefined): Promise<ServiceRecord[]> {
  const records = (await ports.registry.list()).filter(visible);
  if (!names) return records;
  const byName = new Map(records.map((r) => [r.name, r]));
  return names.map((n) => byName.get(n)).filter((r): r is ServiceRecord => r !== undefined);
}

export async function servicesHealth(ports: Ports, req: RequestOf<'services.health'>): Promise<OperationOutcome> {
  return { result: (await pick(ports, req.names)).map((r) => ports.services.health(r)) };
}

export async function servicesMetrics(ports: Ports, req: RequestOf<'services.metrics'>): Promise<OperationOutcome> {
  const records = await pick(ports, req.names);
  return { result: await Promise.all(records.map((r) => ports.services.metrics(r))) };
}

type Action = 'start' | 'stop' | 'restart';

/** Names a batch covers, in order; `all` means every visible service. */
export async function batchNames(ports: Ports, req: BatchRequest): Promise<string[]> {
  if ('names' in req) return req.names;
  return (await ports.registry.list()).filter(visible).map((r) => r.name);
}

function missing(name: string): BatchItem {
  return { name, result: 'NOT_FOUND', status: 'UNKNOWN', error: { code: 'NOT_FOUND', message: `no service named ${name}` } };
}

/** `counted`: the caller is the watch's rules, whose restarts count in `restarts` (CONTRACT section 15). */
export async function servicesBatch(ports: Ports, action: Action, req: BatchRequest, counted = false): Promise<OperationOutcome> {
  const names = await batchNames(ports, req);
  const items: BatchItem[] = [];
  let selfAction: (() => Promise<void>) | undefined;
  for (const name of names) {
    if (name === ports.self.name) {
      // The agent itself goes last, after the reply is out (CONTRACT section 4).
      items.push({ name, result: 'OK', status: action === 'stop' ? 'STOPPING' : 'RUNNING' });
      if (action !== 'start') selfAction = action === 'stop' ? () => ports.self.stop() : () => ports.self.restart();
      continue;
    }
    const record = await ports.registry.get(name);
    if (!record || record.halted) {
      items.push(missing(name));
      continue;
    }
    const held = heldByDeployment(ports, name);
    if (held) {
      items.push({ name, result: 'CONFLICT', status: ports.services.view(record).status, error: held.toJSON() });
      continue;
    }
    items.push(await (action === 'restart' ? ports.services.restart(record, { counted }) : ports.services[action](record)));
  }
  return { result: items, afterReply: selfAction };
}
