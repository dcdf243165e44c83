// Issue 10, attack class 5 (and the principal side of class 4): the broker's ACL matched by prefix, so `svc`
// could subscribe `R/response/svc-other/#`. Now matching is exact (qlobber), wildcard subscriptions must be
// covered whole by an allowed filter, nobody but the agent retains in its tree, a device beats only as
// itself and a service speaks only for its own plugin name. Against the agent process.
// The topics attacked come from the agent's own tables (test/support/agent-topics.ts): a topic, an operation
// or a response topic added later is attacked here too. What the tables cannot produce (a filter one level
// short of a response topic, `#` alone, the tree's root, another agent's status) is written out by hand.
import { describe, expect, it } from 'vitest';
import { builtTopics, inboundTopics, responseTopic, wildcardsOf } from '../support/agent-topics.js';
import { waitFor } from '../support/wait-for.js';
import { hostileSuite, settle, type Client } from './hostile-clients.js';

const OPERATOR = { role: 'operator', username: 'op' } as const;
const SERVICE = (username: string) => ({ role: 'service', username }) as const;

/** Every topic the agent builds that names `name` or answers someone else than `name` (another service, the operator). */
function topicsAbout(R: string, name: string): string[] {
  return [
    ...builtTopics(R, name).map(([, t]) => t),
    ...inboundTopics(R, name),
    responseTopic(R, SERVICE(name), 'x'),
    responseTopic(R, OPERATOR, 'x'),
  ];
}

/** Subscribes every filter; returns those whose answer was not `expected`. */
async function unlike(client: Client, filters: Iterable<string>, expected: 'granted' | 'refused'): Promise<string[]> {
  const wrong: string[] = [];
  for (const f of filters) if ((await client.subscribe(f)) !== expected) wrong.push(f);
  return wrong;
}

describe('exact topic ACLs on the embedded broker', () => {
  const s = hostileSuite();

  it("refuses a service every topic about another service or the operator, exact and with any wildcard; grants its own response topics and reregister call", async () => {
    const { R } = s;
    const svc = await s.bench.as('svc');
    const foreign = new Set(topicsAbout(R, 'svc-other').flatMap((t) => [t, ...wildcardsOf(t, R)]));
    // One level short of the service's response topics (`R/response/svc` is the operator's answer to the
    // correlationId `svc`), the whole tree, everything, and another service's name as a prefix of ours.
    for (const f of [`${R}/response/svc/#`, `${R}/response/svc`, `${R}/#`, '#', `${R}/response/svc-x/#`, `${R}/plugin/+/reregister`]) foreign.add(f);
    expect(foreign.size).toBeGreaterThan(40);
    expect(await unlike(svc, foreign, 'refused')).toEqual([]);
    const own = responseTopic(R, SERVICE('svc'), 'abc');
    const reregister = builtTopics(R, 'svc').find(([m]) => m === 'reregister')![1];
    expect(await unlike(svc, [own, own.replace(/abc$/, '+'), reregister], 'granted')).toEqual([]);
  });

  it("lets only operators read what the agent publishes (services' output and alerts among it: CONTRACT 15, 16)", async () => {
    const { R } = s;
    const outbound = builtTopics(R, 'svc').filter(([m]) => m !== 'subscriptions').map(([, t]) => t);
    expect(outbound).toEqual(expect.arrayContaining([`${R}/event/log/svc`, `${R}/event/alert/svc/svc`]));
    for (const user of ['svc', 'dev1'] as const) {
      const client = await s.bench.as(user);
      const refused = outbound.filter((t) => t !== `${R}/plugin/svc/reregister`).flatMap((t) => [t, ...wildcardsOf(t, R)]);
      expect(await unlike(client, refused, 'refused'), user).toEqual([]);
    }
    const op = await s.bench.as('op');
    expect(await unlike(op, outbound.flatMap((t) => [t, ...wildcardsOf(t, R)]), 'granted')).toEqual([]);
  });

  it('does not deliver an operator’s answer to a service whose name is the correlationId', async () => {
    const { R, bench } = s;
    const svc = await bench.as('svc');
    // `R/response/svc/#` would match `R/response/svc` too: refused; `+` is one level below only.
    await svc.subscribe(`${R}/response/svc/#`);
    await svc.subscribe(`${R}/response/svc/+`);
    expect((await bench.operator.request('agent.info', { correlationId: 'svc' })).ok).toBe(true);
    await settle(bench.operator);
    expect(svc.received).toEqual([]);
  });

  it('does not deliver another service’s answer to a service (the prefix attack)', async () => {
    const { R, bench } = s;
    const victim = await bench.as('svc-other');
    const thief = await bench.as('svc');
    await thief.subscribe(`${R}/response/svc-other/#`);
    const reply = await victim.request('registry.register', { name: 'svc-other', check: { type: 'none' } }, 'svc-other');
    expect(reply.ok).toBe(true);
    await settle(bench.operator);
    expect(thief.received).toEqual([]);
  });

  it('refuses retained publishes into the agent’s tree from every role, on every topic it listens on and the status', async () => {
    const { R, bench } = s;
    for (const user of ['op', 'svc', 'dev1'] as const) {
      for (const topic of [`${R}/status`, ...inboundTopics(R, user)]) {
        const client = await bench.as(user);
        const body = JSON.stringify({ state: 'OFFLINE', name: 'retained', check: { type: 'none' }, devices: [{ id: 'retained' }], correlationId: `retained-${user}` });
        expect(await client.publish(topic, body, { retain: true }), `${user} ${topic}`).toBe('refused');
      }
    }
    // A later subscriber sees only the agent's own retained status, still ONLINE.
    const late = await bench.as('op');
    await late.subscribe(`${R}/#`);
    const status = await waitFor('retained status', () => late.received.find((m) => m.topic === `${R}/status`));
    expect(JSON.parse(status.payload.toString())).toMatchObject({ state: 'ONLINE' });
    await settle(bench.operator);
    expect(late.received.filter((m) => m.retain && m.topic !== `${R}/status`)).toEqual([]);
    const names = ((await bench.operator.request('services.list')).result as Array<{ name: string }>).map((v) => v.name);
    expect(names).not.toContain('retained');
  });

  it('keeps a device to its own heartbeat and a service to its own heartbeat and plugin name, on every topic the agent listens on', async () => {
    const { R, bench } = s;
    // What each may publish besides requests (those are operation-topics.test.ts's, every operation by role).
    const own = { svc: [`${R}/heartbeat/service/svc`, `${R}/plugin/svc/devices`, `${R}/plugin/svc/trust`], dev1: [`${R}/heartbeat/device/dev1`] };
    const heard = (name: string) => inboundTopics(R, name).filter((t) => !t.startsWith(`${R}/request/`));
    let attempts = 0;
    for (const user of ['svc', 'dev1'] as const) {
      for (const topic of [user, 'svc-other', 'ghost'].flatMap(heard).filter((t) => !own[user].includes(t))) {
        const client = await bench.as(user);
        const body = JSON.stringify({ devices: [{ id: 'stolen' }], entries: [{ deviceId: 'stolen', trustLevel: 'COMPLETE' }] });
        expect(await client.publish(topic, body), `${user} ${topic}`).toBe('refused');
        attempts++;
      }
    }
    expect(attempts).toBeGreaterThanOrEqual(20);
    await settle(bench.operator);
    const ids = ((await bench.operator.request('trust.get')).result as Array<{ id: string }>).map((d) => d.id);
    expect(ids).not.toContain('ghost');
    expect(ids).not.toContain('stolen');
  });

  it('does not let a user take over a client id another user holds', async () => {
    const { bench } = s;
    const mqtt = (await import('mqtt')).default;
    const holder = await mqtt.connectAsync(bench.url, { clientId: 'shared-id', username: 'op', password: 'operator-secret', reconnectPeriod: 0 });
    try {
      const taker = await mqtt
        .connectAsync(bench.url, { clientId: 'shared-id', username: 'dev1', password: 'device-one', reconnectPeriod: 0, connectTimeout: 5_000 })
        .then((c) => (c.end(true), 'connected'), () => 'refused');
      expect(taker).toBe('refused');
      expect(holder.connected).toBe(true);
    } finally {
      holder.end(true);
    }
  });

  it('lets the operator discover agents (sma/+/status) and still answers it', async () => {
    const { bench } = s;
    const op = await bench.as('op');
    expect(await op.subscribe('sma/+/status')).toBe('granted');
    expect(await bench.operator.request('agent.info')).toMatchObject({ ok: true });
  });
});
