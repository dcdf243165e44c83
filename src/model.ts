// The contract's data shapes (CONTRACT sections 4 and 6), shared by every layer.
import { z } from 'zod/v3';
import { SERVICE_NAME } from './names.js';

export { SERVICE_NAME };

export const serviceNameSchema = z.string().regex(SERVICE_NAME, 'must match ^[a-z0-9][a-z0-9._-]{0,62}$');

export const checkSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('http'),
      url: z.string().url().refine(isPlainHttpUrl, 'must be an http:// or https:// URL without user or password'),
      /** This service's own check interval (EdgeX registrations carry one); default health.intervalMs. */
      intervalMs: z.number().int().min(100).max(86_400_000).optional(),
    })
    .strict(),
  z.object({ type: z.literal('heartbeat') }).strict(),
  z.object({ type: z.literal('process') }).strict(),
  z.object({ type: z.literal('none') }).strict(),
]);
export type Check = z.infer<typeof checkSchema>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const startSpecSchema = z
  .object({
    command: z.string().min(1).max(4096),
    args: z.array(z.string().max(4096)).max(256).optional(),
    cwd: z.string().max(4096).optional(),
    env: z.record(z.string(), z.string()).optional(),
    /** Names of the agent's environment variables the service also gets (it gets none of them otherwise). */
    inheritEnv: z.array(z.string().regex(ENV_NAME, 'must be an environment variable name')).max(64).optional(),
  })
  .strict();
export type StartSpec = z.infer<typeof startSpecSchema>;

/** A Docker container the agent runs instead of spawning a process (CONTRACT section 12). */
export const containerSpecSchema = z
  .object({
    /** The container's name as Docker knows it (no leading '/'). */
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'must be a Docker container name'),
    /** Supervise it although its own Docker restart policy is not `no` (two supervisors then act on it). */
    allowEngineRestart: z.boolean().optional(),
  })
  .strict();
export type ContainerSpec = z.infer<typeof containerSpecSchema>;

/** Whether an automatic restart follows an exit or a DOWN (src/supervisor/restart-policy.ts says which). */
export const restartPolicySchema = z.enum(['always', 'on-failure', 'on-unhealthy', 'never']);
export type RestartPolicy = z.infer<typeof restartPolicySchema>;

export const configObjectSchema = z.record(z.string(), z.unknown());
export type ServiceConfig = Record<string, unknown>;

/** A JSON object (not an array, not null): what configs merge into and request bodies must be. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const registrationSchema = z
  .object({
    name: serviceNameSchema,
    host: z.string().max(253).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    check: checkSchema,
    start: startSpecSchema.optional(),
    /** Run as this Docker container (an operator's or the configuration's decision, as `start`). */
    container: containerSpecSchema.optional(),
    plugin: z.boolean().optional(),
    config: configObjectSchema.optional(),
    /** A requested LwM2M 33000 instance id (an LwM2M Create names one); refused when taken by another name. */
    instanceId: z.number().int().min(0).max(65534).optional(),
    /** Absent: the config's `health.restartPolicy`. */
    restartPolicy: restartPolicySchema.optional(),
    /** Absent: the config's `health.startGraceMs`. */
    startGraceMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .strict();
export type ServiceRegistration = z.infer<typeof registrationSchema>;

/** A service runs one way: both a start command and a container would leave one of them silently unused. */
export function runsOneWay(r: { start?: unknown; container?: unknown }, ctx: z.RefinementCtx): void {
  if (r.start !== undefined && r.container !== undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['container'], message: 'a service runs either a start command or a container, not both' });
  }
}

export type ServiceStatus = 'RUNNING' | 'STOPPED' | 'STARTING' | 'STOPPING' | 'BACKOFF' | 'FAILED' | 'HALT' | 'UNKNOWN';
export type Health = 'UP' | 'DOWN' | 'UNKNOWN';
export type Desired = 'RUNNING' | 'STOPPED';
export type RegistryKind = 'CONSUL' | 'KEEPER' | 'ETCD' | 'SMA' | 'NONE';

/** What a registry keeps about a service: its registration plus the state that must survive restarts. */
export interface ServiceRecord {
  name: string;
  host?: string;
  port?: number;
  check: Check;
  start?: StartSpec;
  container?: ContainerSpec;
  plugin: boolean;
  config: ServiceConfig;
  /** LwM2M 33000 instance id; stays with the name for as long as the registry remembers it. */
  instanceId: number;
  desired: Desired;
  /** A service that gave up stays FAILED until an operator starts it. */
  failed: boolean;
  restarts: number;
  /** Deregistered (EdgeX soft delete): kept for visibility, not checked. */
  halted: boolean;
  source: 'REGISTRY' | 'MANIFEST';
  /** The registration's own policy; absent: the config's default. */
  restartPolicy?: RestartPolicy;
  /** The registration's own start grace; absent: the config's. */
  startGraceMs?: number;
  /**
   * Bumped by every change a provider writes (src/registry/service-record.ts): a snapshot read before the
   * agent's own latest write is older, and must not undo it. Absent in records written before versions: 0.
   */
  version?: number;
}

export interface ServiceView {
  name: string;
  /** LwM2M 33000 instance id (an addition to the contract's ServiceView: fronts need a stable id). */
  instanceId: number;
  host?: string;
  port?: number;
  status: ServiceStatus;
  health: Health;
  restarts: number;
  lastCheckAt?: string;
  source: 'REGISTRY' | 'MANIFEST';
  plugin: boolean;
  /** Additions to the contract's ServiceView (issue 14): the effective restart policy, */
  restartPolicy?: RestartPolicy;
  /** while BACKOFF, when the next automatic restart is due, */
  nextAttemptAt?: string;
  /** and how the service's process (spawned by the agent) last ended: status (absent when a signal ended it), signal, time. */
  exitCode?: number;
  exitSignal?: string;
  lastExitAt?: string;
  /** The running version, absent before the first deployment (CONTRACT section 13). */
  version?: string;
}

export interface HealthView {
  name: string;
  health: Health;
  checkedAt?: string;
  detail?: string;
}

export interface MetricsView {
  name: string;
  cpuPercent: number;
  memoryBytes: number;
  uptimeS: number;
  restarts: number;
}

/** NOT_FOUND and CONFLICT: refused before anything was done (no such service; a deployment owns it). */
export type ItemResult = 'OK' | 'FAILED' | 'TIMEOUT' | 'NOT_FOUND' | 'CONFLICT';

export interface BatchItem {
  name: string;
  result: ItemResult;
  status: ServiceStatus;
  error?: { code: string; message: string };
}

export type TrustLevel = 'COMPLETE' | 'NONE';

export interface TrustView {
  id: string;
  /** LwM2M 33002 instance id: the device's slot in the tracker, kept across restarts (an addition to the contract). */
  instanceId: number;
  trustLevel: TrustLevel;
  deviceLevel: TrustLevel;
  pluginLevel: TrustLevel;
  plugin?: string;
  lastHeartbeatAt?: string;
}

/** Health checks poll http/https only, and never with credentials in the URL (they would be logged and stored). */
function isPlainHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {
    return false;
  }
}
