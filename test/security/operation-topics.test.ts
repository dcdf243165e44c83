// Every operation of the request table (src/operations/schemas.ts) and every topic the topic table builds
// (src/mqtt/topics.ts, read by test/support/agent-topics.ts), attacked by a service and a device user over the
// embedded broker of a real agent process. Enumerated from the source tables, not from a list written here: an
// operation or event topic added later (services.logs, services.deploy, R/event/log, R/event/alert,
// R/event/deploy came this way) is attacked without anyone remembering to. What a service may publish is
// written here on purpose, so that opening a request topic to services fails this test until someone looks at it.
import { beforeAll, describe, expect, it } from 'vitest';
import { operationNames, type OperationName } from '../../src/operations/schemas.js';
import { builtTopics } from '../support/agent-topics.js';
import { hostileSuite, settle } from './hostile-clients.js';

/** The requests a service may publish (README "Roles"), each with a body about another service. */
const SERVICE_REQUESTS: Partial<Record<OperationName, Record<string, unknown>>> = {
  'registry.register': { name: 'svc-other', check: { type: 'none' } },
  'registry.deregister': { name: 'svc-other' },
  'config.get': { name: 'svc-other' },
  'services.health': { names: ['svc-other'] },
};

/** The topic itself, its last level as `+`, and `#` in its place. */
const variants = (topic: string): string[] => {
  const levels = topic.split('/');
  return [topic, [...levels.slice(0, -1), '+'].join('/'), [...levels.slice(0, -1), '#'].join('/')];
};

describe('every operation and every built topic, by a service and a device (embedded broker)', () => {
  const s = hostileSuite({}, 60_000);
  beforeAll(async () => {
    const idle = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
    expect((await s.bench.operator.request('registry.register', { name: 'svc-other', check: { type: 'process' }, start: idle })).ok).toBe(true);
  }, 60_000);

  it('covers the new operations and topics (the tables are what is enumerated)', () => {
    expect(operationNames).toEqual(expect.arrayContaining(['services.logs', 'services.history', 'alerts.list', 'services.deploy', 'services.rollback']));
    expect(builtTopics('sma/x').map(([, t]) => t)).toEqual(expect.arrayContaining(['sma/x/event/log/svc', 'sma/x/event/alert/svc/svc', 'sma/x/event/deploy/svc']));
  });

  it("refuses a device every operation's request topic (the broker hangs up)", async () => {
    const { bench, R } = s;
    for (const op of operationNames) {
      const dev = await bench.as('dev1');
      expect(await dev.publish(`${R}/request/${op}`, JSON.stringify({ name: 'svc-other', correlationId: `dev-${op}` })), op).toBe('refused');
    }
  });

  it('refuses a service every operation but its few, and those answer FORBIDDEN about another service', async () => {
    const { bench, R } = s;
    const view = async (): Promise<unknown> => ((await bench.operator.request('services.list', { includeDeregistered: true })).result as Array<{ name: string }>).find((s) => s.name === 'svc-other');
    const before = await view();
    expect(before).toMatchObject({ name: 'svc-other' });
    for (const op of operationNames) {
      const svc = await bench.as('svc');
      const body = SERVICE_REQUESTS[op];
      if (!body) {
        expect(await svc.publish(`${R}/request/${op}`, JSON.stringify({ name: 'svc-other', names: ['svc-other'], correlationId: `svc-${op}` })), op).toBe('refused');
        continue;
      }
      const reply = await svc.request(op, body, 'svc');
      expect(reply.ok ? 'ok' : reply.error?.code, op).toBe('FORBIDDEN');
    }
    // Nothing happened to the other service: registered as it was (status, pid, restarts), never deployed.
    await settle(bench.operator);
    expect(await view()).toEqual(before);
    const deployments = (await bench.operator.request('services.deployments', {})).result as { deployments: unknown[] };
    expect(deployments.deployments).toEqual([]);
  });

  it("refuses a service registering itself with a container or a start command (an operator's decision), over MQTT", async () => {
    const { bench } = s;
    const svc = await bench.as('svc');
    const container = await svc.request('registry.register', { name: 'svc', check: { type: 'none' }, container: { name: 'privileged-box', allowEngineRestart: true } }, 'svc');
    expect(container.ok ? 'ok' : container.error?.code).toBe('FORBIDDEN');
    const start = await svc.request('registry.register', { name: 'svc', check: { type: 'none' }, start: { command: '/bin/sh', args: ['-c', 'id'] } }, 'svc');
    expect(start.ok ? 'ok' : start.error?.code).toBe('FORBIDDEN');
    const names = ((await bench.operator.request('services.list', { includeDeregistered: true })).result as Array<{ name: string }>).map((v) => v.name);
    expect(names).not.toContain('svc');
  });

  it('refuses a deployment whose version would leave {dataDir}/versions/{name} (/, .., NUL, too long), over MQTT', async () => {
    const { bench } = s;
    for (const version of ['../../../etc', 'a/b', '..', '.', '', '1.0\u0000', `v${'1'.repeat(64)}`, '/abs', '1.0\\..\\x']) {
      const reply = await bench.operator.request('services.deploy', { name: 'svc-other', version, artifact: { url: 'http://127.0.0.1:9/a.tgz', sha256: 'a'.repeat(64) } });
      expect(reply.ok ? 'ok' : reply.error?.code, JSON.stringify(version)).toBe('INVALID_REQUEST');
    }
    const deployments = (await bench.operator.request('services.deployments', {})).result as { deployments: unknown[] };
    expect(deployments.deployments).toEqual([]);
  });

  it('refuses a service and a device every built topic as a subscription (exact, +, #), but the service its own reregister call', async () => {
    const { bench, R } = s;
    const allowed = new Set([`${R}/plugin/svc/reregister`]);
    const built = builtTopics(R);
    expect(built.length).toBeGreaterThanOrEqual(12);
    const svc = await bench.as('svc');
    const dev = await bench.as('dev1');
    for (const [method, topic] of built) {
      for (const filter of variants(topic)) {
        expect(await dev.subscribe(filter), `device ${method} ${filter}`).toBe('refused');
        expect(await svc.subscribe(filter), `service ${method} ${filter}`).toBe(allowed.has(filter) ? 'granted' : 'refused');
      }
    }
  });

  it('refuses a service and a device publishing any outbound topic (no spoofed status, output, alert or deployment event)', async () => {
    const { bench, R } = s;
    const inbound = new Set(['subscriptions']);
    const own = new Set([`${R}/heartbeat/service/svc`, `${R}/heartbeat/device/dev1`]);
    for (const [method, topic] of builtTopics(R)) {
      if (inbound.has(method) || own.has(topic)) continue;
      for (const user of ['svc', 'dev1'] as const) {
        const c = await bench.as(user);
        expect(await c.publish(topic, JSON.stringify({ type: 'FIRING', rule: 'svc', name: 'svc' })), `${user} ${method} ${topic}`).toBe('refused');
      }
    }
  });
});
