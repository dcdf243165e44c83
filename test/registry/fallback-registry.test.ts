// FallbackRegistry: an external registry that goes away mid-run and comes back. With a real etcd
// (killed with SIGKILL and restarted on the same data) and with the Consul HTTP double. The probe runs
// on a FakeClock; the real processes are awaited by polling, never by fixed sleeps.
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { SmaError } from '../../src/errors.js';
import { EventBus, type AgentEvent } from '../../src/events.js';
import type { ServiceRegistration } from '../../src/model.js';
import { ConsulRegistry } from '../../src/registry/consul-registry.js';
import { EtcdRegistry } from '../../src/registry/etcd-registry.js';
import type { ExternalRegistry } from '../../src/registry/external-registry.js';
import { FallbackRegistry } from '../../src/registry/fallback-registry.js';
import { ManifestRegistry } from '../../src/registry/manifest-registry.js';
import { ConsulDouble } from './fixtures/consul-double.js';
import { EtcdServer, etcdAvailable, peersRequired } from './fixtures/etcd-server.js';
import { TempStore } from './fixtures/temp-store.js';

const silent = pino({ level: 'silent' });
const INTERVAL = 10_000;
const manifestServices: ServiceRegistration[] = [{ name: 'from-manifest', check: { type: 'none' } }];

interface Rig {
  registry: FallbackRegistry;
  clock: FakeClock;
  events: AgentEvent[];
  changes: () => number;
}

async function rig(external: ExternalRegistry, temp: TempStore): Promise<Rig> {
  const clock = new FakeClock();
  const bus = new EventBus();
  const events: AgentEvent[] = [];
  bus.on((e) => {
    if (e.kind === 'agent') events.push(e);
  });
  const manifest = await ManifestRegistry.open(temp.store, manifestServices);
  const registry = new FallbackRegistry({ external, manifest, events: bus, clock, probeIntervalMs: INTERVAL, log: silent });
  let changes = 0;
  registry.onExternalChange(() => changes++);
  return { registry, clock, events, changes: () => changes };
}

/** One health interval passes; the probe it fires is awaited. */
async function oneInterval(r: Rig): Promise<void> {
  r.clock.advance(INTERVAL);
  await r.registry.probe();
}

const code = (p: Promise<unknown>) => p.then(() => 'OK', (e: unknown) => (e instanceof SmaError ? e.code : String(e)));

describe.skipIf(!etcdAvailable() && !peersRequired)('fallback with a real etcd-server (skipped without Debian package etcd-server)', () => {
  let server: EtcdServer;
  let temp: TempStore;
  let r: Rig;
  const prefix = '/sma-fallback/';
  beforeEach(async () => {
    server = await EtcdServer.start();
    temp = await TempStore.open();
    r = await rig(EtcdRegistry.open({ hosts: [server.url], prefix, log: silent, callTimeoutMs: 1000, watchRetryMs: 200 }), temp);
  });
  afterEach(async () => {
    await r.registry.close();
    await server.stop();
    await temp.remove();
  });

  it('falls back to the manifest within one interval of etcd dying, and returns with no registration lost', async () => {
    const a = await r.registry.register({ name: 'svc-a', check: { type: 'none' }, config: { k: 1 } });
    await r.registry.register({ name: 'svc-b', check: { type: 'heartbeat' } });
    await r.registry.update('svc-a', { restarts: 2 });
    expect(r.registry.kind).toBe('ETCD');

    await server.kill();
    await oneInterval(r);
    expect(r.registry.kind).toBe('NONE');
    expect(r.events).toMatchObject([{ kind: 'agent', type: 'REGISTRY_CHANGED' }]);
    expect(r.events[0]!.detail).toMatch(/ETCD unreachable/);
    expect(r.changes()).toBe(1);
    expect((await r.registry.list()).map((s) => [s.name, s.source])).toEqual([['from-manifest', 'MANIFEST']]);
    expect(await code(r.registry.register({ name: 'svc-c', check: { type: 'none' } }))).toBe('UNAVAILABLE');
    expect(await code(r.registry.deregister('svc-a'))).toBe('UNAVAILABLE');
    // Runtime state of manifest services is still kept meanwhile.
    expect(await r.registry.update('from-manifest', { restarts: 1 })).toMatchObject({ restarts: 1 });

    await server.start();
    // The client's circuit breaker may keep refusing for a few seconds after etcd is back: probe until it lets go.
    await vi.waitFor(
      async () => {
        await oneInterval(r);
        expect(r.registry.kind).toBe('ETCD');
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(r.events.map((e) => e.detail)).toEqual([expect.stringMatching(/unreachable/), expect.stringMatching(/^back to ETCD/)]);
    expect(r.changes()).toBe(2);
    const back = await r.registry.list();
    expect(back.map((s) => s.name)).toEqual(['svc-a', 'svc-b']);
    expect(back[0]).toMatchObject({ instanceId: a.instanceId, restarts: 2, config: { k: 1 } });
    expect(await code(r.registry.register({ name: 'svc-c', check: { type: 'none' } }))).toBe('OK');
  });

  it('switches at once when a call finds etcd gone, before any probe', async () => {
    await r.registry.register({ name: 'svc-a', check: { type: 'none' } });
    await server.kill();
    expect((await r.registry.list()).map((s) => s.name)).toEqual(['from-manifest']);
    expect(r.registry.kind).toBe('NONE');
    expect(r.events).toHaveLength(1);
  });

  it('lists a service another etcd client registered directly, and tells its listeners', async () => {
    await r.registry.register({ name: 'mine', check: { type: 'none' } });
    const other = new Etcd3({ hosts: server.url });
    try {
      await other.namespace(prefix).put('services/theirs').value(JSON.stringify({ host: '10.9.9.9', check: { type: 'none' } }));
      await vi.waitFor(() => expect(r.changes()).toBeGreaterThan(0), { timeout: 10_000 });
      const theirs = (await r.registry.list()).find((s) => s.name === 'theirs');
      expect(theirs).toMatchObject({ host: '10.9.9.9', source: 'REGISTRY', halted: false });
    } finally {
      other.close();
    }
  });
});

describe('fallback with the Consul HTTP double', () => {
  let consul: ConsulDouble;
  let temp: TempStore;
  let r: Rig;
  beforeEach(async () => {
    consul = new ConsulDouble();
    await consul.start();
    temp = await TempStore.open();
    r = await rig(new ConsulRegistry({ url: consul.url, log: silent, callTimeoutMs: 1000 }), temp);
  });
  afterEach(async () => {
    await r.registry.close();
    await consul.stop();
    await temp.remove();
  });

  it('reports NONE while Consul is away and CONSUL again when it answers', async () => {
    await r.registry.register({ name: 'svc', check: { type: 'none' } });
    expect(r.registry.kind).toBe('CONSUL');
    await oneInterval(r);
    expect(r.events).toEqual([]);
    await consul.stop();
    await oneInterval(r);
    expect(r.registry.kind).toBe('NONE');
    expect((await r.registry.get('svc'))).toBeUndefined();
    await consul.start();
    await oneInterval(r);
    expect(r.registry.kind).toBe('CONSUL');
    expect((await r.registry.get('svc'))!.halted).toBe(false);
    expect(r.events.map((e) => e.type)).toEqual(['REGISTRY_CHANGED', 'REGISTRY_CHANGED']);
  });

  it('keeps errors that are not about reachability as they are', async () => {
    const err = await r.registry.update('nobody', { restarts: 1 });
    expect(err).toBeUndefined();
    expect(r.registry.kind).toBe('CONSUL');
    expect(r.events).toEqual([]);
  });
});
