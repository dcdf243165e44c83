import { afterEach, describe, expect, it } from 'vitest';
import type { PluginReregisterEvent } from '../../src/events.js';
import { beatWhile, startHarness, TIMEOUT_MS, type Harness } from './tracker-harness.js';

let harnesses: Harness[] = [];
async function harness(...args: Parameters<typeof startHarness>): Promise<Harness> {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

const reregisters = (h: Harness): PluginReregisterEvent[] =>
  h.events.filter((e): e is PluginReregisterEvent => e.kind === 'plugin-reregister');

describe('TrustTracker: heartbeats', () => {
  it('gives a silent device exactly one NONE event at its deadline, and one COMPLETE when it beats again', async () => {
    const h = await harness();
    const beating = ['b1', 'b2', 'b3'];
    const t0 = h.clock.now();
    h.tracker.beat('quiet', t0);
    await beatWhile(h, beating, 1_000, 3 * TIMEOUT_MS);

    expect(h.trustFor('quiet')).toHaveLength(1);
    const [none] = h.trustFor('quiet');
    expect(none).toMatchObject({ kind: 'trust', deviceId: 'quiet', from: 'COMPLETE', to: 'NONE', reason: 'HEARTBEAT_TIMEOUT' });
    expect(none.at).toBeGreaterThanOrEqual(t0 + TIMEOUT_MS);
    expect(none.at).toBeLessThanOrEqual(t0 + TIMEOUT_MS + 1_000);
    for (const id of beating) expect(h.trustFor(id)).toEqual([]);

    const back = h.clock.now();
    h.tracker.beat('quiet', back);
    await beatWhile(h, beating, 1_000, 5_000);
    expect(h.trustFor('quiet')).toHaveLength(2);
    expect(h.trustFor('quiet')[1]).toMatchObject({ from: 'NONE', to: 'COMPLETE', reason: 'HEARTBEAT', at: back });
    expect(h.trust()).toHaveLength(2);
  });

  it('knows a device from its first heartbeat without an event, and counts levels', async () => {
    const h = await harness();
    for (const id of ['a', 'b', 'c']) h.tracker.beat(id, h.clock.now());
    await h.advance(0);
    expect(h.trust()).toEqual([]);
    expect(h.tracker.counts()).toEqual({ devices: 3, trusted: 3 });
    await beatWhile(h, ['a'], 1_000, TIMEOUT_MS + 1_000);
    expect(h.tracker.counts()).toEqual({ devices: 3, trusted: 1 });
    expect(h.tracker.query({ level: 'NONE' }).map((v) => v.id)).toEqual(['b', 'c']);
    const [a] = h.tracker.query({ ids: ['a', 'unknown'] });
    expect(a).toMatchObject({ id: 'a', trustLevel: 'COMPLETE', deviceLevel: 'COMPLETE', pluginLevel: 'COMPLETE' });
    expect(a.plugin).toBeUndefined();
    expect(Date.parse(a.lastHeartbeatAt!)).toBeGreaterThan(h.clock.now() - 2_000);
  });

  it('lets a plugin report hold a level past the timeout, until the next heartbeat', async () => {
    const h = await harness({ health: new Map([['dmi', 'UP']]) });
    h.tracker.beat('d1', h.clock.now(), 'dmi');
    h.tracker.beat('d2', h.clock.now(), 'dmi');
    await h.advance(1_000);
    h.tracker.pluginReport('dmi', [{ deviceId: 'd1', trustLevel: 'NONE' }, { deviceId: 'd2', trustLevel: 'COMPLETE' }], h.clock.now());
    await h.advance(3 * TIMEOUT_MS);
    expect(h.trustFor('d1')).toMatchObject([{ to: 'NONE', reason: 'PLUGIN_REPORT' }]);
    expect(h.trustFor('d2')).toEqual([]); // COMPLETE held by the report, no timeout
    h.tracker.beat('d1', h.clock.now());
    h.tracker.beat('d2', h.clock.now());
    await h.advance(TIMEOUT_MS + 500);
    expect(h.trustFor('d1').map((e) => e.to)).toEqual(['NONE', 'COMPLETE', 'NONE']);
    expect(h.trustFor('d2')).toMatchObject([{ to: 'NONE', reason: 'HEARTBEAT_TIMEOUT' }]);
  });
});

describe('TrustTracker: plugins', () => {
  it('turns all devices of a plugin NONE in one sweep when it goes down, and leaves other devices alone', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>([
      ['dmi-a', 'UP' as const],
      ['dmi-b', 'UP' as const],
    ]);
    const h = await harness({ health });
    const a = Array.from({ length: 50 }, (_, k) => `a${k}`);
    h.tracker.pluginDevices('dmi-a', a.map((id) => ({ id })), h.clock.now());
    h.tracker.pluginDevices('dmi-b', [{ id: 'b0' }], h.clock.now());
    await beatWhile(h, [...a, 'b0'], 1_000, 3_000);
    expect(h.trust()).toEqual([]);

    health.set('dmi-a', 'DOWN');
    await beatWhile(h, [...a, 'b0'], 1_000, 3_000);
    const down = h.trust();
    expect(down).toHaveLength(50);
    expect(new Set(down.map((e) => e.deviceId))).toEqual(new Set(a));
    expect(new Set(down.map((e) => e.at)).size).toBe(1); // one sweep
    expect(down.every((e) => e.reason === 'PLUGIN_DOWN' && e.to === 'NONE')).toBe(true);
    expect(h.tracker.query({ ids: ['a0'] })[0]).toMatchObject({ trustLevel: 'NONE', deviceLevel: 'COMPLETE', pluginLevel: 'NONE', plugin: 'dmi-a' });
    expect(h.tracker.counts()).toEqual({ devices: 51, trusted: 1 });
  });

  it('asks a plugin back up to re-register; its new set replaces the old one and missing devices stay NONE', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>([['dmi', 'UP']]);
    const h = await harness({ health });
    h.tracker.pluginDevices('dmi', [{ id: 'keep', properties: { v: 1 } }, { id: 'gone' }], h.clock.now());
    await beatWhile(h, ['keep', 'gone'], 1_000, 2_000);

    health.set('dmi', 'DOWN');
    await beatWhile(h, ['keep', 'gone'], 1_000, 3_000);
    expect(h.trust().map((e) => [e.deviceId, e.to])).toEqual([
      ['keep', 'NONE'],
      ['gone', 'NONE'],
    ]);
    expect(reregisters(h)).toEqual([]);

    health.set('dmi', 'UP');
    await beatWhile(h, ['keep', 'gone'], 1_000, 2_000);
    expect(reregisters(h)).toMatchObject([{ kind: 'plugin-reregister', plugin: 'dmi' }]);
    expect(h.trust()).toHaveLength(2); // held NONE until the set comes

    h.tracker.pluginDevices('dmi', [{ id: 'keep', properties: { v: 2 } }, { id: 'new' }], h.clock.now());
    await beatWhile(h, ['keep', 'gone', 'new'], 1_000, 3 * TIMEOUT_MS);
    expect(h.trustFor('keep').map((e) => [e.to, e.reason])).toEqual([
      ['NONE', 'PLUGIN_DOWN'],
      ['COMPLETE', 'REREGISTERED'],
    ]);
    expect(h.trustFor('gone')).toHaveLength(1); // still the one NONE: it stays NONE, though it beats
    expect(h.trustFor('new')).toEqual([]);
    expect(h.tracker.query({ ids: ['gone', 'new'] }).map((v) => [v.id, v.trustLevel, v.deviceLevel])).toEqual([
      ['gone', 'NONE', 'NONE'],
      ['new', 'COMPLETE', 'COMPLETE'],
    ]);
    expect(h.tracker.propertiesOf('keep')).toEqual({ v: 2 });
    expect(h.tracker.propertiesOf('new')).toBeUndefined();
    expect(reregisters(h)).toHaveLength(1);
  });

  it('marks devices left out of a re-registration NONE with reason REREGISTERED', async () => {
    const h = await harness({ health: new Map([['dmi', 'UP']]) });
    h.tracker.pluginDevices('dmi', [{ id: 'x' }, { id: 'y' }], h.clock.now());
    await h.advance(1_000);
    h.tracker.pluginDevices('dmi', [{ id: 'x' }], h.clock.now());
    await h.advance(1_000);
    expect(h.trust()).toMatchObject([{ deviceId: 'y', from: 'COMPLETE', to: 'NONE', reason: 'REREGISTERED' }]);
    h.tracker.pluginDevices('dmi', [{ id: 'x' }, { id: 'y' }], h.clock.now());
    await h.advance(1_000);
    expect(h.trustFor('y').map((e) => e.to)).toEqual(['NONE', 'COMPLETE']);
  });

  it('gives devices their own levels back when a plugin back up never re-registers', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>([['dmi', 'UP']]);
    const h = await harness({ health, tracker: { reregisterGraceMs: 5_000 } });
    await beatWhile(h, ['d'], 1_000, 1_000, 'dmi');
    health.set('dmi', 'DOWN');
    await beatWhile(h, ['d'], 1_000, 2_000);
    health.set('dmi', 'UP');
    await beatWhile(h, ['d'], 1_000, 4_000);
    expect(h.trustFor('d').map((e) => e.to)).toEqual(['NONE']);
    await beatWhile(h, ['d'], 1_000, 3_000);
    expect(h.trustFor('d').map((e) => [e.to, e.reason])).toEqual([
      ['NONE', 'PLUGIN_DOWN'],
      ['COMPLETE', 'PLUGIN_UP'],
    ]);
  });

  it('keeps the last plugin level while health is UNKNOWN', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>([['dmi', 'UP']]);
    const h = await harness({ health });
    await beatWhile(h, ['d'], 1_000, 1_000, 'dmi');
    health.set('dmi', 'UNKNOWN' as never);
    await beatWhile(h, ['d'], 1_000, 5_000);
    expect(h.trust()).toEqual([]);
  });
});

describe('TrustTracker: scale and failures', () => {
  it('publishes a sweep over 25 000 devices once per device', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>([['dmi', 'UP']]);
    const h = await harness({ health });
    const ids = Array.from({ length: 25_000 }, (_, k) => `dev-${k}`);
    h.tracker.pluginDevices('dmi', ids.map((id) => ({ id })), h.clock.now());
    await h.advance(1_000);
    health.set('dmi', 'DOWN');
    await h.advance(1_000);
    const events = h.trust();
    expect(events).toHaveLength(25_000);
    expect(new Set(events.map((e) => e.deviceId)).size).toBe(25_000);
    expect(h.tracker.counts()).toEqual({ devices: 25_000, trusted: 0 });
  });

  it('still publishes its events while the store cannot be written, and writes them once it can again', async () => {
    const { FakeClock } = await import('../../src/clock.js');
    const { EventBus } = await import('../../src/events.js');
    const { TrustTracker } = await import('../../src/trust/trust-tracker.js');
    const { pino } = await import('pino');
    const written = new Map<string, unknown>();
    let broken = true;
    const store: import('../../src/store/store.js').Store = {
      section: <V>() => ({
        get: async (key: string) => written.get(key) as V | undefined,
        put: async () => {},
        del: async () => {},
        batch: async (ops: Array<{ type: string; key: string; value?: V }>) => {
          if (broken) throw new Error('disk full');
          for (const op of ops) written.set(op.key, op.value);
        },
        entries: async function* () {},
      }),
      atomic: async (ops) => {
        if (broken) throw new Error('disk full');
        for (const op of ops) written.set(op.key, op.value);
      },
      close: async () => {},
    };
    const clock = new FakeClock();
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on((e) => e.kind === 'trust' && seen.push(`${e.deviceId}:${e.to}`));
    const tracker = new TrustTracker({
      store,
      events: bus,
      clock,
      config: { heartbeatTimeoutMs: TIMEOUT_MS, pluginCheckIntervalMs: 1_000 },
      log: pino({ level: 'silent' }),
      plugins: () => [],
    });
    await tracker.start();
    tracker.beat('d', clock.now());
    clock.advance(TIMEOUT_MS + 200);
    await tracker.sync();
    expect(seen).toEqual(['d:NONE']);
    expect(written.size).toBe(0);
    broken = false;
    clock.advance(10_000);
    await tracker.close();
    expect(written.get('meta')).toMatchObject({ size: 1 });
    expect(written.get('id/000000')).toEqual(['d']);
  });
});

describe('TrustTracker: only registered plugins count (issue 10)', () => {
  it('ignores a heartbeat naming no registered plugin: a device of a DOWN plugin stays NONE', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>([['dmi', 'UP']]);
    const h = await harness({ health });
    h.tracker.pluginDevices('dmi', [{ id: 'm1' }], h.clock.now());
    h.tracker.beat('loose', h.clock.now(), 'ghost');
    await beatWhile(h, ['m1'], 1_000, 2_000);
    health.set('dmi', 'DOWN');
    await beatWhile(h, ['m1'], 1_000, 2_000);
    expect(h.trustFor('m1').map((e) => e.to)).toEqual(['NONE']);
    // Naming a plugin nobody registered neither re-ties the device nor lifts the DOWN plugin's NONE.
    await beatWhile(h, ['m1'], 1_000, 3_000, 'ghost');
    expect(h.trustFor('m1').map((e) => e.to)).toEqual(['NONE']);
    expect(h.tracker.query({ ids: ['m1', 'loose'] }).map((v) => [v.id, v.trustLevel, v.plugin])).toEqual([
      ['m1', 'NONE', 'dmi'],
      ['loose', 'COMPLETE', undefined],
    ]);
  });

  it('keeps the plugin table for registered plugins: 1 100 made-up names leave room for a real one', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>();
    const h = await harness({ health });
    for (let k = 0; k < 1_100; k++) h.tracker.beat(`junk-${k}`, h.clock.now(), `fake-plugin-${k}`);
    await h.advance(1_000);
    health.set('late', 'UP');
    h.tracker.pluginDevices('late', [{ id: 'l1' }], h.clock.now());
    await h.advance(1_000);
    expect(h.tracker.query({ ids: ['l1', 'junk-7'] }).map((v) => [v.id, v.plugin])).toEqual([
      ['l1', 'late'],
      ['junk-7', undefined],
    ]);
  });

  it('takes device sets and reports only from a registered plugin, and never another plugin\'s devices', async () => {
    const health = new Map<string, 'UP' | 'DOWN' | 'UNKNOWN'>([
      ['dmi-a', 'UP'],
      ['dmi-b', 'UP'],
    ]);
    const h = await harness({ health });
    h.tracker.pluginDevices('nobody', [{ id: 'n1' }], h.clock.now());
    h.tracker.pluginReport('nobody', [{ deviceId: 'n2', trustLevel: 'COMPLETE' }], h.clock.now());
    h.tracker.pluginDevices('dmi-a', [{ id: 'a1' }, { id: 'a2' }], h.clock.now());
    await h.advance(1_000);
    h.tracker.pluginDevices('dmi-b', [{ id: 'a1' }, { id: 'b1' }], h.clock.now());
    await h.advance(1_000);
    expect(h.tracker.query({ ids: ['n1', 'n2'] })).toEqual([]);
    expect(h.tracker.query({ ids: ['a1', 'a2', 'b1'] }).map((v) => [v.id, v.plugin, v.trustLevel])).toEqual([
      ['a1', 'dmi-a', 'COMPLETE'],
      ['a2', 'dmi-a', 'COMPLETE'],
      ['b1', 'dmi-b', 'COMPLETE'],
    ]);
    health.set('dmi-b', 'DOWN');
    await h.advance(2_000);
    expect(h.trustFor('a1')).toEqual([]);
    expect(h.trustFor('b1').map((e) => e.to)).toEqual(['NONE']);
  });
});
