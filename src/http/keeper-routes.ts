// EdgeX 4 Core Keeper's API under /api/v3 (shared/edgex/core-keeper-4.0.yaml, as EdgeX's clients use it):
// registry and KV translated into the agent's operations; answers in Keeper's DTOs.
import { invalidRequest } from '../errors.js';
import type { Check, ServiceView } from '../model.js';
import { kvText } from '../operations/kv-keys.js';
import { base, goDurationMs, registrationRequest, sendEdgexError, updateKeysRequest, type RegistrationRequest } from './edgex-dtos.js';
import type { IntakeCall } from './intake-call.js';
import { readJson, sendEmpty, sendJson } from './respond.js';
import type { Handler, RequestContext, Router } from './router.js';
import { mountServiceInfo, type ServiceInfo } from './service-info.js';

const V3 = 'v3';
const API = '/api/v3';

export interface KeeperRoutesOptions extends ServiceInfo {
  call: IntakeCall;
  /** health.intervalMs: the interval of a check that names none of its own. */
  checkIntervalMs: number;
}

interface Entry extends ServiceView {
  check: Check;
  halted: boolean;
}

/** Keeper's handlers answer their errors in ErrorResponse shape. */
const edgex = (h: Handler): Handler => async (ctx) => {
  try {
    await h(ctx);
  } catch (err) {
    sendEdgexError(ctx.res, V3, err);
  }
};

/**
 * `?name=true|false` (absent is false), leniently as EdgeX's clients send it: app-functions-sdk-python turns
 * its parameter list into text (`['False']`), Python's own booleans are capitalised. Anything else is a 400.
 */
export function boolQuery(ctx: RequestContext, name: string): boolean {
  const v = ctx.url.searchParams.get(name);
  if (v === null || v === '') return false;
  const bare = v.replace(/^\[\s*(['"]?)(.*?)\1\s*\]$/, '$2').toLowerCase();
  if (bare === 'true' || bare === 'false') return bare === 'true';
  throw invalidRequest(`query ${name}: ${JSON.stringify(v.slice(0, 32))} is not true or false`);
}

/** A Keeper registration as the agent's ServiceRegistration: an http check on host:port+path at its interval. */
export function toRegistration(r: RegistrationRequest['registration']): Record<string, unknown> {
  const host = r.host || '127.0.0.1';
  let check: Record<string, unknown> = { type: 'none' };
  if (r.healthCheck.type.toLowerCase() === 'http') {
    const path = r.healthCheck.path ?? '/';
    if (!path.startsWith('/')) throw invalidRequest('registration.healthCheck.path: must start with /');
    const intervalMs = r.healthCheck.interval ? goDurationMs(r.healthCheck.interval) : undefined;
    if (r.healthCheck.interval && intervalMs === undefined) throw invalidRequest(`registration.healthCheck.interval: ${r.healthCheck.interval} is not a duration such as 10s`);
    check = { type: 'http', url: `http://${host.includes(':') ? `[${host}]` : host}:${r.port}${path}`, ...(intervalMs ? { intervalMs } : {}) };
  }
  return { name: r.serviceId, ...(r.host ? { host: r.host } : {}), ...(r.port ? { port: r.port } : {}), check };
}

const goDuration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/**
 * A registry entry as Keeper's Registration DTO. Every entry carries `healthCheck.interval` and `path`, which
 * app-functions-sdk-python requires of each one in a listing, whatever kind of check it has (a registration
 * over MQTT may have a process or heartbeat check, or an http check on the default interval).
 */
export function toKeeperRegistration(e: Entry, checkIntervalMs: number): Record<string, unknown> {
  const status = e.halted ? 'HALT' : e.health;
  const check = e.check;
  const healthCheck = { type: check.type, path: '', interval: goDuration(checkIntervalMs) };
  if (check.type === 'http') {
    const url = new URL(check.url);
    healthCheck.path = url.pathname + url.search;
    if (check.intervalMs) healthCheck.interval = goDuration(check.intervalMs);
  }
  return {
    serviceId: e.name,
    status,
    host: e.host ?? '',
    port: e.port ?? 0,
    healthCheck,
    ...(e.lastCheckAt && e.health === 'UP' ? { lastConnected: Date.parse(e.lastCheckAt) } : {}),
  };
}

async function readRegistration(ctx: RequestContext): Promise<RegistrationRequest['registration']> {
  const parsed = registrationRequest.safeParse(await readJson(ctx.req));
  if (!parsed.success) throw invalidRequest(`bad registration request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.registration;
}

export function mountKeeperRoutes(router: Router, o: KeeperRoutesOptions): void {
  const { call } = o;
  const register = async (ctx: RequestContext, created: boolean): Promise<void> => {
    const r = await readRegistration(ctx);
    // go-mod-registry deregisters with PUT status HALT (Unregister), not with DELETE.
    if (r.status?.toUpperCase() === 'HALT') await call(ctx, 'registry.deregister', { name: r.serviceId });
    else await call(ctx, 'registry.register', { ...toRegistration(r), expect: created ? 'absent' : 'present' });
    // No body, as Core Keeper 3.x answered: Go's client skips an empty body, and app-functions-sdk-python
    // decodes any body of this answer into an empty placeholder and fails on it (README, EdgeX deviations).
    sendEmpty(ctx.res, created ? 201 : 204);
  };
  const entries = async (ctx: RequestContext, body: unknown): Promise<Entry[]> => (await call(ctx, 'registry.entries', body)) as Entry[];

  router.add('POST', `${API}/registry`, edgex((ctx) => register(ctx, true)), 'caller');
  router.add('PUT', `${API}/registry`, edgex((ctx) => register(ctx, false)), 'caller');
  router.get(
    `${API}/registry/all`,
    edgex(async (ctx) => {
      const all = await entries(ctx, { includeDeregistered: boolQuery(ctx, 'deregistered') });
      sendJson(ctx.res, 200, { ...base(V3, 200), totalCount: all.length, registrations: all.map((e) => toKeeperRegistration(e, o.checkIntervalMs)) });
    }),
    'caller',
  );
  router.get(
    `${API}/registry/serviceId/:serviceId`,
    edgex(async (ctx) => {
      const id = ctx.params.serviceId;
      const [found] = await entries(ctx, { names: [id], includeDeregistered: true });
      if (!found) return sendJson(ctx.res, 404, base(V3, 404, `registration not found by serviceId ${id.slice(0, 128)}`));
      sendJson(ctx.res, 200, { ...base(V3, 200), registration: toKeeperRegistration(found, o.checkIntervalMs) });
    }),
    'caller',
  );
  router.add(
    'DELETE',
    `${API}/registry/serviceId/:serviceId`,
    edgex(async (ctx) => {
      await call(ctx, 'registry.deregister', { name: ctx.params.serviceId });
      sendEmpty(ctx.res, 204);
    }),
    'caller',
  );

  const kvKey = (ctx: RequestContext): string => ctx.params.key.replace(/\/+$/, '');
  router.get(
    `${API}/kvs/key/*key`,
    edgex(async (ctx) => {
      const keyOnly = boolQuery(ctx, 'keyOnly');
      const plaintext = boolQuery(ctx, 'plaintext');
      const found = (await call(ctx, 'kv.get', { key: kvKey(ctx), keyOnly })) as Array<string | { key: string; value: unknown }>;
      // EdgeX's clients read the list from `response` (the document says keyValues/keys): follow the clients.
      const response = keyOnly ? found : (found as Array<{ key: string; value: unknown }>).map((e) => ({ ...e, value: plaintext ? kvText(e.value) : Buffer.from(kvText(e.value)).toString('base64') }));
      sendJson(ctx.res, 200, { ...base(V3, 200), response });
    }),
    'caller',
  );
  router.add(
    'PUT',
    `${API}/kvs/key/*key`,
    edgex(async (ctx) => {
      const flatten = boolQuery(ctx, 'flatten');
      const body = updateKeysRequest.safeParse(await readJson(ctx.req));
      if (!body.success || body.data.value === undefined) throw invalidRequest('body must be {"value": ...}');
      const keys = await call(ctx, 'kv.put', { key: kvKey(ctx), value: body.data.value, flatten });
      sendJson(ctx.res, 200, { ...base(V3, 200), response: keys });
    }),
    'caller',
  );
  router.add(
    'DELETE',
    `${API}/kvs/key/*key`,
    edgex(async (ctx) => {
      const keys = await call(ctx, 'kv.delete', { key: kvKey(ctx), prefixMatch: boolQuery(ctx, 'prefixMatch') });
      sendJson(ctx.res, 200, { ...base(V3, 200), response: keys });
    }),
    'caller',
  );
  mountServiceInfo(router, API, V3, o);
}

