// kv.get / kv.put / kv.delete: EdgeX Core Keeper's key-value store. Keys under `{serviceRoot}/{name}/`
// of a registered service are that service's configuration (the same data config.get/config.set see);
// every other key lives in the KV store port. Each changed key is emitted as a KV event.
import { invalidRequest, notFound } from '../errors.js';
import { isPlainObject, type ServiceConfig, type ServiceRecord } from '../model.js';
import { applyConfig } from './config.js';
import { mergePatches } from './config-merge.js';
import { isKvKey, keyOf, leaves, nest, serviceOfKey, underKey } from './kv-keys.js';
import type { KvEntry, OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';

/** Registered services (halted ones too: their configuration stays readable) by name. */
async function servicesByName(ports: Ports): Promise<Map<string, ServiceRecord>> {
  return new Map((await ports.registry.list()).map((r) => [r.name, r]));
}

/** A service's configuration as KV entries. */
function serviceEntries(root: string, record: ServiceRecord): KvEntry[] {
  return leaves(record.config).map(([path, value]) => ({ key: keyOf(root, record.name, path), value }));
}

async function entriesUnder(ports: Ports, prefix: string): Promise<KvEntry[]> {
  const root = ports.kv.serviceRoot;
  const records = await servicesByName(ports);
  const own = serviceOfKey(root, prefix);
  const candidates = own ? [records.get(own.name)].filter((r): r is ServiceRecord => r !== undefined) : underKey(root, prefix) || root.startsWith(prefix + '/') ? [...records.values()] : [];
  const fromServices = candidates.flatMap((r) => serviceEntries(root, r)).filter((e) => underKey(e.key, prefix));
  const fromStore = (await ports.kv.list(prefix)).filter((e) => !ownedByService(root, e.key, records));
  return [...fromServices, ...fromStore].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function ownedByService(root: string, key: string, records: Map<string, ServiceRecord>): boolean {
  const own = serviceOfKey(root, key);
  return own !== undefined && own.path.length > 0 && records.has(own.name);
}

export async function kvGet(ports: Ports, req: RequestOf<'kv.get'>): Promise<OperationOutcome> {
  const entries = await entriesUnder(ports, req.key);
  if (entries.length === 0) throw notFound(`no key ${req.key}`);
  return { result: req.keyOnly ? entries.map((e) => e.key) : entries };
}

export async function kvPut(ports: Ports, req: RequestOf<'kv.put'>): Promise<OperationOutcome> {
  const pairs: Array<[string, unknown]> =
    req.flatten && isPlainObject(req.value) ? leaves(req.value).map(([path, value]) => [[req.key, ...path].join('/'), value]) : [[req.key, req.value]];
  // A flattened key is a key like any other: it becomes a configuration path and a topic (edgex/configs/KEY).
  const bad = pairs.find(([key]) => !isKvKey(key));
  if (bad) throw invalidRequest(`flattened key ${JSON.stringify(bad[0].slice(0, 128))} is not a key: \`/\`-separated segments of letters, digits and ._~-`);
  const root = ports.kv.serviceRoot;
  const records = await servicesByName(ports);
  const patches = new Map<string, ServiceConfig[]>();
  const plain: Array<{ key: string; value: unknown }> = [];
  for (const [key, value] of pairs) {
    const own = serviceOfKey(root, key);
    const record = own && own.path.length > 0 ? records.get(own.name) : undefined;
    if (own && record) patches.set(own.name, [...(patches.get(own.name) ?? []), nest(own.path, value)]);
    else plain.push({ key, value });
  }
  for (const [name, list] of patches) {
    const record = records.get(name)!;
    await applyConfig(ports, record, list.reduce((acc, p) => mergePatches(acc, p), {} as ServiceConfig));
  }
  if (plain.length > 0) {
    const at = ports.clock.now();
    await ports.kv.put(plain, at);
    for (const e of plain) ports.events.emit({ kind: 'kv', key: e.key, value: e.value, at });
  }
  return { result: pairs.map(([key]) => key) };
}

export async function kvDelete(ports: Ports, req: RequestOf<'kv.delete'>): Promise<OperationOutcome> {
  const found = (await entriesUnder(ports, req.key)).filter((e) => req.prefixMatch || e.key === req.key);
  if (found.length === 0) throw notFound(`no key ${req.key}`);
  const root = ports.kv.serviceRoot;
  const records = await servicesByName(ports);
  const patches = new Map<string, ServiceConfig>();
  const plain: string[] = [];
  for (const { key } of found) {
    const own = serviceOfKey(root, key);
    if (own && ownedByService(root, key, records)) patches.set(own.name, mergePatches(patches.get(own.name) ?? {}, nest(own.path, null)));
    else plain.push(key);
  }
  for (const [name, patch] of patches) await applyConfig(ports, records.get(name)!, patch);
  if (plain.length > 0) {
    await ports.kv.delete(plain);
    const at = ports.clock.now();
    for (const key of plain) ports.events.emit({ kind: 'kv', key, at });
  }
  return { result: found.map((e) => e.key) };
}
