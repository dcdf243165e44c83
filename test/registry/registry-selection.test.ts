// selectRegistry: registry.type and the seeds' precedence (Consul, then etcd, then the embedded registry),
// with the Consul HTTP double and a real etcd-server. The choice must be logged.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { SmaError } from '../../src/errors.js';
import { EventBus } from '../../src/events.js';
import type { Registry } from '../../src/registry/registry.js';
import { selectRegistry, type RegistrySelectionOptions } from '../../src/registry/registry-selection.js';
import { FallbackRegistry } from '../../src/registry/fallback-registry.js';
import { ConsulDouble } from './fixtures/consul-double.js';
import { EtcdServer, etcdAvailable, freePort, peersRequired } from './fixtures/etcd-server.js';
import { TempStore } from './fixtures/temp-store.js';

const manifest = [{ name: 'm1', check: { type: 'none' as const } }];

describe('selectRegistry', () => {
  let temp: TempStore;
  let consul: ConsulDouble;
  let deadUrl: string;
  const opened: Registry[] = [];
  let lines: Array<{ msg: string; registry?: string }>;

  beforeAll(async () => {
    consul = new ConsulDouble();
    await consul.start();
    deadUrl = `http://127.0.0.1:${await freePort()}`;
  });
  afterAll(async () => {
    await consul.stop();
  });
  afterEach(async () => {
    for (const r of opened.splice(0)) await r.close();
    await temp?.remove();
  });

  async function select(over: Partial<RegistrySelectionOptions>): Promise<Registry> {
    temp = await TempStore.open();
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as { msg: string; registry?: string });
        done();
      },
    });
    const registry = await selectRegistry({
      type: 'auto',
      store: temp.store,
      manifest,
      events: new EventBus(),
      clock: new FakeClock(),
      probeIntervalMs: 10_000,
      log: pino({ level: 'info' }, sink),
      ...over,
    });
    opened.push(registry);
    return registry;
  }

  it('none: the static manifest', async () => {
    const r = await select({ type: 'none' });
    expect(r.kind).toBe('NONE');
    expect((await r.list()).map((s) => s.source)).toEqual(['MANIFEST']);
    expect(lines).toEqual([expect.objectContaining({ registry: 'NONE' })]);
  });

  it('sma, and auto with nothing external configured: the embedded registry', async () => {
    expect((await select({ type: 'sma' })).kind).toBe('SMA');
    await opened.pop()!.close();
    await temp.remove();
    const r = await select({ type: 'auto' });
    expect(r.kind).toBe('SMA');
    expect(lines[0]!.msg).toMatch(/no external registry configured/);
    // The configured services are known on the embedded registry too.
    expect((await r.list()).map((s) => [s.name, s.source])).toEqual([['m1', 'MANIFEST']]);
  });

  it('auto: Consul when it answers, behind the manifest fallback', async () => {
    const r = await select({ type: 'auto', consul: { url: consul.url }, etcd: { hosts: [deadUrl] } });
    expect(r.kind).toBe('CONSUL');
    expect(r).toBeInstanceOf(FallbackRegistry);
    expect(lines[0]).toMatchObject({ registry: 'CONSUL' });
  });

  it('auto: the embedded registry when neither Consul nor etcd answers, saying why', async () => {
    const r = await select({ type: 'auto', consul: { url: deadUrl }, etcd: { hosts: [deadUrl] } });
    expect(r.kind).toBe('SMA');
    expect(lines[0]!.msg).toMatch(/consul .* does not answer; etcd .* does not answer/);
    expect((await r.list()).map((s) => s.name)).toEqual(['m1']);
  });

  it('consul that does not answer at start-up: the manifest until it does', async () => {
    const r = await select({ type: 'consul', consul: { url: deadUrl } });
    expect(r.kind).toBe('NONE');
    expect(await r.register({ name: 'x', check: { type: 'none' } }).catch((e: SmaError) => e.code)).toBe('UNAVAILABLE');
  });

  it('consul or etcd without their settings is refused', async () => {
    await expect(select({ type: 'consul' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/registry\.consul\.url/) });
    await expect(select({ type: 'etcd' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/registry\.etcd\.hosts/) });
  });

  describe.skipIf(!etcdAvailable() && !peersRequired)('with a real etcd-server (skipped without Debian package etcd-server)', () => {
    let etcd: EtcdServer;
    beforeAll(async () => {
      etcd = await EtcdServer.start();
    });
    afterAll(async () => {
      await etcd?.stop();
    });

    it('auto: etcd when Consul does not answer and etcd does', async () => {
      const r = await select({ type: 'auto', consul: { url: deadUrl }, etcd: { hosts: [etcd.url], prefix: '/sel/' } });
      expect(r.kind).toBe('ETCD');
      expect(lines[0]!.msg).toMatch(/consul .* does not answer/);
      expect((await r.register({ name: 'x', check: { type: 'none' } })).source).toBe('REGISTRY');
    });

    it('auto: Consul first when both answer', async () => {
      const r = await select({ type: 'auto', consul: { url: consul.url }, etcd: { hosts: [etcd.url] } });
      expect(r.kind).toBe('CONSUL');
    });

    it('etcd: explicit type', async () => {
      const r = await select({ type: 'etcd', etcd: { hosts: [etcd.url], prefix: '/sel2/' } });
      expect(r.kind).toBe('ETCD');
    });
  });
});
