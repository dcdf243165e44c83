// Issue 23: every HTTP route attacked, from the front's own route table (src/http/http-routes.ts, the list the
// agent mounts), against the agent as a real process with operator, service and device users. A route added
// later is attacked without anyone writing a test for it; a route without a request template below fails the
// test until one is written. For each route: no credentials, a foreign Host, each role beyond its scope, a
// cross-site text/plain or form POST and a foreign Origin (state changes), `__proto__`/`constructor` bodies and
// keys, a 10 000-level body; then the rightful caller's request as the positive control. Every refused state
// change is checked for no effect.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRoutes, type HttpRouteDeps } from '../../src/http/http-routes.js';
import { Router, type RouteEntry } from '../../src/http/router.js';
import { hashPassword } from '../../src/security/password-hash.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const OPERATOR = basic('ops', 'ops-secret');
/** A service user named as the service it may speak for. */
const SERVICE = 'Bearer core-data-token';
const DEVICE = basic('dev-1', 'dev-secret');

/** The route table as the agent mounts it: the same list, with dependencies no handler is called with here. */
function routeTable(): RouteEntry[] {
  const router = new Router();
  for (const mount of httpRoutes({} as HttpRouteDeps)) mount(router); // mounting only adds routes
  const seen = new Set<string>();
  return router.table().filter((r) => !seen.has(`${r.method} ${r.pattern}`) && seen.add(`${r.method} ${r.pattern}`));
}

interface Template {
  /** The request about `subject`, a service name. */
  path: (subject: string) => string;
  body?: (subject: string) => unknown;
}

const registration = (serviceId: string) => ({ apiVersion: 'v3', registration: { serviceId, host: '127.0.0.1', port: 59881, healthCheck: { type: 'http', path: '/api/v3/ping', interval: '10s' } } });
const kvPath = (s: string): string => `/api/v3/kvs/key/edgex/v4/${s}/Writable/LogLevel`;
const system = (v: string): Record<string, Template> => ({
  [`GET /api/${v}/system/health`]: { path: (s) => `/api/${v}/system/health?services=${s}` },
  [`GET /api/${v}/system/metrics`]: { path: (s) => `/api/${v}/system/metrics?services=${s}` },
  [`GET /api/${v}/system/config`]: { path: (s) => `/api/${v}/system/config?services=${s}` },
  [`POST /api/${v}/system/operation`]: { path: () => `/api/${v}/system/operation`, body: (s) => [{ apiVersion: v, serviceName: s, action: 'restart' }] },
  [`GET /api/${v}/ping`]: { path: () => `/api/${v}/ping` },
  [`GET /api/${v}/version`]: { path: () => `/api/${v}/version` },
  [`GET /api/${v}/config`]: { path: () => `/api/${v}/config` },
  [`GET /api/${v}/metrics`]: { path: () => `/api/${v}/metrics` },
});

/** One request per route (`METHOD pattern`). */
const TEMPLATES: Record<string, Template> = {
  'GET /health': { path: () => '/health' },
  'GET /metrics': { path: () => '/metrics' },
  'GET /': { path: () => '/' },
  'GET /events': { path: () => '/events' },
  'POST /ops/:op': { path: () => '/ops/services.restart', body: (s) => ({ names: [s] }) },
  'POST /api/v3/registry': { path: () => '/api/v3/registry', body: (s) => registration(s === 'core-data' ? 'core-data' : `${s}-new`) },
  'PUT /api/v3/registry': { path: () => '/api/v3/registry', body: (s) => registration(s) },
  'GET /api/v3/registry/all': { path: () => '/api/v3/registry/all' },
  'GET /api/v3/registry/serviceId/:serviceId': { path: (s) => `/api/v3/registry/serviceId/${s}` },
  'DELETE /api/v3/registry/serviceId/:serviceId': { path: (s) => `/api/v3/registry/serviceId/${s}` },
  'GET /api/v3/kvs/key/*key': { path: kvPath },
  'PUT /api/v3/kvs/key/*key': { path: kvPath, body: () => ({ value: 'DEBUG' }) },
  'DELETE /api/v3/kvs/key/*key': { path: kvPath },
  ...system('v2'),
  ...system('v3'),
  'GET /api/v3/services/:name/logs': { path: (s) => `/api/v3/services/${s}/logs` },
  'GET /api/v3/services/:name/history': { path: (s) => `/api/v3/services/${s}/history?metric=memoryBytes` },
  'GET /api/v3/alerts': { path: () => '/api/v3/alerts' },
  'POST /api/v3/services/:name/deployments': {
    path: (s) => `/api/v3/services/${s}/deployments`,
    // Accepted, then failing on its own (nothing listens on port 9): the agent's running version is untouched.
    body: () => ({ version: '9.9.9', artifact: { url: 'http://127.0.0.1:9/none.tgz', sha256: 'a'.repeat(64) }, start: { command: 'true' } }),
  },
  'GET /api/v3/services/:name/deployments': { path: (s) => `/api/v3/services/${s}/deployments` },
  'GET /api/v3/deployments': { path: () => '/api/v3/deployments' },
  'POST /api/v3/services/:name/rollback': { path: (s) => `/api/v3/services/${s}/rollback`, body: () => ({}) },
  'POST /api/v3/services/:name/deployments/cancel': { path: (s) => `/api/v3/services/${s}/deployments/cancel`, body: () => ({}) },
};

/** What every authenticated role may read: that the agent is up, and which agent it is. */
const OPEN_TO_EVERY_ROLE = new Set(['GET /health', 'GET /api/v2/ping', 'GET /api/v3/ping', 'GET /api/v2/version', 'GET /api/v3/version']);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw request, so Host, Origin and Content-Type are what an attacker makes them. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, setHost: headers.host === undefined }, (res) => {
      const chunks: Buffer[] = [];
      const done = (): void => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
      if (res.headers['content-type'] === 'text/event-stream') {
        done(); // an event stream never ends: its status is the answer
        req.destroy();
        return;
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', done);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Refused: 403, or EdgeX's 207 whose every item is 403 (the SMA API answers per service). */
function refused(a: Answer): boolean {
  if (a.status === 403) return true;
  if (a.status !== 207) return false;
  const items = JSON.parse(a.text) as Array<{ statusCode: number }>;
  return items.length > 0 && items.every((i) => i.statusCode === 403);
}

/** Served: any answer below 400, and for EdgeX's 207 every item below 400. */
function served(a: Answer): boolean {
  if (a.status >= 400) return false;
  if (a.status !== 207) return true;
  return (JSON.parse(a.text) as Array<{ statusCode: number }>).every((i) => i.statusCode < 400);
}

describe('every HTTP route under attack (issue 23)', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  const routes = routeTable();
  const key = (r: RouteEntry): string => `${r.method} ${r.pattern}`;
  const call = (r: RouteEntry, auth: string | undefined, subject: string, extra: Record<string, string> = {}, bodyText?: string): Promise<Answer> => {
    const t = TEMPLATES[key(r)];
    const body = bodyText ?? (t.body ? JSON.stringify(t.body(subject)) : undefined);
    const headers: Record<string, string> = { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra };
    return send(agent.httpPort, r.method, t.path(subject), headers, body);
  };

  /** What a refused state change must leave as it was: registrations, service states, configuration. */
  async function snapshot(): Promise<string> {
    const op = { authorization: OPERATOR };
    const all = JSON.parse((await send(agent.httpPort, 'GET', '/api/v3/registry/all?deregistered=true', op)).text) as { registrations: Array<{ serviceId: string; status: string }> };
    const metrics = (await send(agent.httpPort, 'GET', '/metrics', op)).text.split('\n').filter((l) => /^sma_service_(status|restarts_total)\{/.test(l));
    const kv = (await send(agent.httpPort, 'GET', '/api/v3/kvs/key/edgex/v4?plaintext=true', op)).text;
    const pids = ((await mqtt.request('services.list')).result as Array<{ name: string; pid?: number; status: string }>).map((s) => `${s.name}:${s.status}:${s.pid ?? ''}`);
    return JSON.stringify({ registered: all.registrations.map((r) => `${r.serviceId}:${r.status}`).sort(), metrics: metrics.sort(), kv: JSON.parse(kv).response, pids });
  }

  beforeAll(async () => {
    agent = await startAgent({
      agent: { id: 'attacked-gw' },
      health: { intervalMs: 60_000 },
      http: {
        host: '127.0.0.1',
        port: 0,
        users: [
          { username: 'ops', passwordHash: await hashPassword('ops-secret', CHEAP), role: 'operator' },
          { username: 'core-data', tokenHash: await hashPassword('core-data-token', CHEAP), role: 'service' },
          { username: 'dev-1', passwordHash: await hashPassword('dev-secret', CHEAP), role: 'device' },
        ],
      },
    });
    mqtt = await MqttRequester.forAgent(agent);
    const idle = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
    for (const name of ['core-data', 'core-metadata']) {
      expect((await mqtt.request('registry.register', { name, check: { type: 'process' }, start: idle })).ok).toBe(true);
      expect((await mqtt.request('services.start', { names: [name] })).ok).toBe(true);
      expect((await send(agent.httpPort, 'PUT', kvPath(name), { authorization: OPERATOR, 'content-type': 'application/json' }, JSON.stringify({ value: 'INFO' }))).status).toBe(200);
    }
    await waitFor('both RUNNING', async () => ((await mqtt.request('services.list')).result as Array<{ status: string }>).every((s) => s.status === 'RUNNING'));
  }, 60_000);
  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
  });

  it('has a request template for every route in the table (a new route must get one)', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.map(key).filter((k) => !TEMPLATES[k])).toEqual([]);
  });

  it('answers 401 without credentials on every route, and on paths that are no route (no mapping of routes)', async () => {
    for (const r of routes) expect((await call(r, undefined, 'core-data')).status, key(r)).toBe(401);
    for (const path of ['/no/such/route', '/api/v3/registry/serviceId', '/api/v9/anything']) expect((await send(agent.httpPort, 'GET', path, {})).status, path).toBe(401);
    expect((await send(agent.httpPort, 'PATCH', '/health', {})).status).toBe(401);
  });

  it('refuses a foreign Host on every route, even with the operator\'s credentials (DNS rebinding)', async () => {
    const before = await snapshot();
    for (const r of routes) expect((await call(r, OPERATOR, 'core-metadata', { host: `evil.example:${agent.httpPort}` })).status, key(r)).toBe(421);
    expect(await snapshot()).toBe(before);
  });

  it('refuses every route but the open reads to a device user', async () => {
    const before = await snapshot();
    for (const r of routes) {
      const a = await call(r, DEVICE, 'dev-1');
      if (OPEN_TO_EVERY_ROLE.has(key(r))) expect(a.status, key(r)).toBe(200);
      else expect(refused(a), `${key(r)} -> ${a.status} ${a.text.slice(0, 200)}`).toBe(true);
    }
    expect(await snapshot()).toBe(before);
  });

  it('refuses a service user everything about another service, and every operator route', async () => {
    const before = await snapshot();
    for (const r of routes) {
      if (OPEN_TO_EVERY_ROLE.has(key(r))) continue;
      const a = await call(r, SERVICE, 'core-metadata');
      expect(refused(a), `${key(r)} -> ${a.status} ${a.text.slice(0, 200)}`).toBe(true);
    }
    expect(await snapshot()).toBe(before);
  });

  it('refuses cross-site state changes on every route (text/plain, a form, a foreign Origin), with the operator\'s remembered login, and they change nothing', async () => {
    const changing = routes.filter((r) => STATE_CHANGING.has(r.method));
    expect(changing.length).toBeGreaterThanOrEqual(8);
    const before = await snapshot();
    for (const r of changing) {
      const t = TEMPLATES[key(r)];
      const json = t.body ? JSON.stringify(t.body('core-metadata')) : '{}';
      expect((await call(r, OPERATOR, 'core-metadata', { 'content-type': 'text/plain;charset=UTF-8' }, json)).status, key(r)).toBe(415);
      expect((await call(r, OPERATOR, 'core-metadata', { 'content-type': 'application/x-www-form-urlencoded' }, 'names=core-metadata')).status, key(r)).toBe(415);
      expect((await call(r, OPERATOR, 'core-metadata', { origin: 'http://evil.example' })).status, key(r)).toBe(403);
      expect((await call(r, OPERATOR, 'core-metadata', { origin: 'null' })).status, key(r)).toBe(403);
    }
    expect(await snapshot()).toBe(before);
  });

  it('refuses __proto__, constructor and prototype in every body and KV key with 400, and nothing is polluted', async () => {
    const before = await snapshot();
    for (const r of routes.filter((x) => TEMPLATES[key(x)].body)) {
      for (const poison of ['__proto__', 'constructor', 'prototype']) {
        const clean = JSON.stringify(TEMPLATES[key(r)].body!('core-data'));
        // The poison key inside the first object of the body: `{"__proto__":{"start":...},...}`.
        const text = clean.replace('{', `{"${poison}":{"start":{"command":"/bin/sh","args":["-c","touch /tmp/pwned"]}},`);
        const a = await call(r, OPERATOR, 'core-data', {}, text);
        expect(a.status === 400 || (a.status === 207 && (JSON.parse(a.text) as Array<{ statusCode: number }>).every((i) => i.statusCode === 400)), `${key(r)} ${poison} -> ${a.status} ${a.text.slice(0, 200)}`).toBe(true);
      }
    }
    for (const method of ['GET', 'PUT', 'DELETE']) {
      for (const poison of ['__proto__', 'constructor', 'prototype']) {
        const a = await send(agent.httpPort, method, `/api/v3/kvs/key/edgex/v4/core-data/${poison}/start`, { authorization: OPERATOR, 'content-type': 'application/json' }, method === 'PUT' ? JSON.stringify({ value: '{"command":"/bin/sh"}' }) : undefined);
        expect(a.status, `${method} ${poison}`).toBe(400);
      }
    }
    // A flattened body is keys too.
    const flat = await send(agent.httpPort, 'PUT', '/api/v3/kvs/key/edgex/v4/core-data?flatten=true', { authorization: OPERATOR, 'content-type': 'application/json' }, JSON.stringify({ value: { 'a#b': 1, 'c+d': 2, 'e\u0000': 3 } }));
    expect(flat.status).toBe(400);
    expect(await snapshot()).toBe(before);
  });

  it('refuses the same poison over MQTT: the inbox checks every front\'s bodies, not only HTTP\'s', async () => {
    const poison = { correlationId: 'p1', name: 'core-data', config: JSON.parse('{"a":{"__proto__":{"start":"sh"}}}') as unknown };
    const refusedOver = async (op: string, body: Record<string, unknown>): Promise<string | undefined> => {
      const reply = await mqtt.request(op, body);
      return reply.ok ? undefined : reply.error?.code;
    };
    expect(await refusedOver('config.set', poison)).toBe('INVALID_REQUEST');
    expect(await refusedOver('registry.register', JSON.parse('{"name":"core-data","check":{"type":"process"},"constructor":{"prototype":{"x":1}}}') as Record<string, unknown>)).toBe('INVALID_REQUEST');
    let deep: unknown = 1;
    for (let i = 0; i < 2000; i++) deep = { a: deep };
    expect(await refusedOver('config.set', { name: 'core-data', config: deep })).toBe('INVALID_REQUEST');
    expect(await refusedOver('config.set', { name: 'core-data', config: { 'a#b': 1 } })).toBe('INVALID_REQUEST');
  });

  it('answers a 10 000-level body with 400 on every route that takes one, and keeps serving', async () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    for (const r of routes.filter((x) => TEMPLATES[key(x)].body)) {
      const a = await call(r, OPERATOR, 'core-data', {}, `{"value":${deep},"names":${deep}}`);
      expect(a.status, `${key(r)} -> ${a.text.slice(0, 200)}`).toBe(400);
    }
    const flattenDeep = `{"value":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    expect((await send(agent.httpPort, 'PUT', '/api/v3/kvs/key/edgex/v4/core-data?flatten=true', { authorization: OPERATOR, 'content-type': 'application/json' }, flattenDeep)).status).toBe(400);
    expect((await send(agent.httpPort, 'GET', '/health', { authorization: OPERATOR })).status).toBe(200);
  });

  it('echoes X-Correlation-ID on every answer, refusals included, and makes one when none is sent', async () => {
    for (const r of routes) {
      // About a service that does not exist, with a body that is not JSON: answered, and nothing changes.
      const a = await call(r, OPERATOR, 'no-such-service', { 'x-correlation-id': 'corr-42' }, r.method === 'GET' ? undefined : 'not json');
      expect(a.headers['x-correlation-id'], key(r)).toBe('corr-42');
    }
    const none = await send(agent.httpPort, 'GET', '/health', {});
    expect(none.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the rightful caller on every route (the positive control): reads, then operations, re-registrations and deletions', async () => {
    // A Keeper PUT re-registers without a start command, and a DELETE deregisters: those come after the operations.
    const rank = (r: RouteEntry): number => ['GET', 'POST', 'PUT', 'DELETE'].indexOf(r.method);
    const order = [...routes].sort((a, b) => rank(a) - rank(b));
    for (const r of order) {
      const a = await call(r, OPERATOR, 'core-metadata');
      // History is served once the watch engine runs; until it is wired in, its operation (past every guard) says so.
      const watchOff = a.status === 503 && a.text.includes('the resource watch is off');
      // A rollback past every guard, of a service with no previous version (or with the deployment above running).
      const noRollback = key(r) === 'POST /api/v3/services/:name/rollback' && /no previous version|deployment in progress/.test(a.text);
      // A cancel past every guard, when the deployment above has already ended on its own (nothing listens on port 9).
      const nothingToCancel = key(r) === 'POST /api/v3/services/:name/deployments/cancel' && /no deployment in progress|has ended/.test(a.text);
      expect(served(a) || watchOff || noRollback || nothingToCancel, `${key(r)} -> ${a.status} ${a.text.slice(0, 300)}`).toBe(true);
    }
    // And a service user on its own registration and keys, through the routes the policy opens to it.
    const own = [
      await send(agent.httpPort, 'GET', '/api/v3/registry/serviceId/core-data', { authorization: SERVICE }),
      await send(agent.httpPort, 'PUT', kvPath('core-data'), { authorization: SERVICE, 'content-type': 'application/json' }, JSON.stringify({ value: 'WARN' })),
      await send(agent.httpPort, 'GET', '/api/v3/system/config?services=core-data', { authorization: SERVICE }),
    ];
    for (const a of own) expect(served(a), `${a.status} ${a.text.slice(0, 200)}`).toBe(true);
  });
});
