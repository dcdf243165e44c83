// Issue 10, attack class 5 (and the principal side of class 4): the broker's ACL matched by prefix, so `svc`
// could subscribe `R/response/svc-other/#`. Now matching is exact (qlobber), wildcard subscriptions must be
// covered whole by an allowed filter, nobody but the agent retains in its tree, a device beats only as
// itself and a service speaks only for its own plugin name. Against the agent process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileBench, settle, type HostileBench } from './hostile-clients.js';
import { waitFor } from '../support/wait-for.js';

describe('exact topic ACLs on the embedded broker', () => {
  let bench: HostileBench;
  let R: string;
  beforeAll(async () => {
    bench = await hostileBench();
    R = bench.agent.topicRoot;
  });
  afterAll(async () => bench?.close());

  it('lets a service subscribe only its own response topics and reregister call', async () => {
    const svc = await bench.as('svc');
    for (const filter of [`${R}/response/svc-other/#`, `${R}/response/svc-x/#`, `${R}/response/+/#`, `${R}/response/#`, `${R}/response/svc/#`, `${R}/response/svc`, `${R}/#`, '#', `${R}/plugin/svc-other/reregister`, `${R}/plugin/+/reregister`]) {
      expect(await svc.subscribe(filter), filter).toBe('refused');
    }
    for (const filter of [`${R}/response/svc/+`, `${R}/response/svc/abc`, `${R}/plugin/svc/reregister`]) {
      expect(await svc.subscribe(filter), filter).toBe('granted');
    }
  });

  it('lets only operators read services\' output and alerts (R/event/log, R/event/alert: CONTRACT 15, 16)', async () => {
    const svc = await bench.as('svc');
    const dev = await bench.as('dev1');
    for (const client of [svc, dev]) {
      for (const filter of [`${R}/event/log/svc`, `${R}/event/log/+`, `${R}/event/log/#`, `${R}/event/alert/+/svc`, `${R}/event/#`]) {
        expect(await client.subscribe(filter), filter).toBe('refused');
      }
    }
    const op = await bench.as('op');
    for (const filter of [`${R}/event/log/svc`, `${R}/event/log/+`, `${R}/event/alert/#`]) expect(await op.subscribe(filter), filter).toBe('granted');
  });

  it('does not deliver an operator’s answer to a service whose name is the correlationId', async () => {
    const svc = await bench.as('svc');
    // `R/response/svc/#` would match `R/response/svc` too: refused; `+` is one level below only.
    await svc.subscribe(`${R}/response/svc/#`);
    await svc.subscribe(`${R}/response/svc/+`);
    expect((await bench.operator.request('agent.info', { correlationId: 'svc' })).ok).toBe(true);
    await settle(bench.operator);
    expect(svc.received).toEqual([]);
  });

  it('does not deliver another service’s answer to a service (the prefix attack)', async () => {
    const victim = await bench.as('svc-other');
    const thief = await bench.as('svc');
    await thief.subscribe(`${R}/response/svc-other/#`);
    const reply = await victim.request('registry.register', { name: 'svc-other', check: { type: 'none' } }, 'svc-other');
    expect(reply.ok).toBe(true);
    await settle(bench.operator);
    expect(thief.received).toEqual([]);
  });

  it('refuses retained publishes into the agent’s tree from every role (status spoof, retained request, retained beat)', async () => {
    const op = await bench.as('op');
    expect(await op.publish(`${R}/status`, JSON.stringify({ state: 'OFFLINE' }), { retain: true })).toBe('refused');
    const op2 = await bench.as('op');
    expect(await op2.publish(`${R}/request/registry.register`, JSON.stringify({ name: 'retained', check: { type: 'none' } }), { retain: true })).toBe('refused');
    const dev = await bench.as('dev1');
    expect(await dev.publish(`${R}/heartbeat/device/dev1`, '', { retain: true })).toBe('refused');
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

  it('keeps a device to its own heartbeat and a service to its own plugin name', async () => {
    const dev = await bench.as('dev1');
    expect(await dev.publish(`${R}/heartbeat/device/ghost`, '')).toBe('refused');
    const svc = await bench.as('svc');
    expect(await svc.publish(`${R}/plugin/svc-other/devices`, JSON.stringify({ devices: [{ id: 'stolen' }] }))).toBe('refused');
    const svc2 = await bench.as('svc');
    expect(await svc2.publish(`${R}/heartbeat/service/svc-other`, '')).toBe('refused');
    await settle(bench.operator);
    const ids = ((await bench.operator.request('trust.get')).result as Array<{ id: string }>).map((d) => d.id);
    expect(ids).not.toContain('ghost');
    expect(ids).not.toContain('stolen');
  });

  it('does not let a user take over a client id another user holds', async () => {
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
    const op = await bench.as('op');
    expect(await op.subscribe('sma/+/status')).toBe('granted');
    expect(await bench.operator.request('agent.info')).toMatchObject({ ok: true });
  });
});
