// A service record as external registries (etcd, Consul KV) hold it: JSON that other clients may write too,
// so it is read leniently (missing fields get their defaults) and validated, never trusted.
import { z } from 'zod/v3';
import { SERVICE_NAME, checkSchema, restartPolicySchema, startSpecSchema, containerSpecSchema, type ServiceConfig, type ServiceRecord } from '../model.js';

/** Everything but the name (the key says it), the config (its own key), the id (its own key) and the source. */
export type StoredRecord = Omit<ServiceRecord, 'name' | 'config' | 'instanceId' | 'source'>;

const storedSchema = z.object({
  host: z.string().max(253).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  check: checkSchema.default({ type: 'none' }),
  start: startSpecSchema.optional(),
  container: containerSpecSchema.optional(),
  plugin: z.boolean().default(false),
  desired: z.enum(['RUNNING', 'STOPPED']).default('RUNNING'),
  failed: z.boolean().default(false),
  restarts: z.number().int().min(0).default(0),
  halted: z.boolean().default(false),
  restartPolicy: restartPolicySchema.optional(),
  startGraceMs: z.number().int().min(0).max(3_600_000).optional(),
  /** Written by this agent; a record from another client without one counts as version 0. */
  version: z.number().int().min(0).default(0),
});

export function toStored(record: ServiceRecord): StoredRecord {
  const { name: _name, config: _config, instanceId: _id, source: _source, ...stored } = record;
  return stored;
}

export function isServiceName(name: string): boolean {
  return SERVICE_NAME.test(name);
}

/** Parses a stored record written by anyone; a reason string when it cannot be used. */
export function parseStored(json: string): StoredRecord | string {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return 'not JSON';
  }
  const parsed = storedSchema.safeParse(raw);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  const stored: StoredRecord = {
    check: parsed.data.check,
    plugin: parsed.data.plugin,
    desired: parsed.data.desired,
    failed: parsed.data.failed,
    restarts: parsed.data.restarts,
    halted: parsed.data.halted,
    version: parsed.data.version,
  };
  if (parsed.data.restartPolicy !== undefined) stored.restartPolicy = parsed.data.restartPolicy;
  if (parsed.data.startGraceMs !== undefined) stored.startGraceMs = parsed.data.startGraceMs;
  if (parsed.data.host !== undefined) stored.host = parsed.data.host;
  if (parsed.data.port !== undefined) stored.port = parsed.data.port;
  if (parsed.data.start !== undefined) stored.start = parsed.data.start;
  if (parsed.data.container !== undefined) stored.container = parsed.data.container;
  return stored;
}

/** A config value: a JSON object, or empty when absent or unusable. */
export function parseConfig(json: string | undefined): ServiceConfig {
  if (json === undefined) return {};
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ServiceConfig) : {};
  } catch {
    return {};
  }
}

export function assemble(name: string, stored: StoredRecord, config: ServiceConfig, instanceId: number): ServiceRecord {
  return { name, ...stored, config, instanceId, source: 'REGISTRY' };
}
