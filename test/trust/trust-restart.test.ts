import { describe, expect, it } from 'vitest';
import type { Health } from '../../src/model.js';
import type { SmaEvent } from '../../src/events.js';
import { beatWhile, livesPerTest, TIMEOUT_MS, type Harness } from './tracker-harness.js';

const T0 = 1_700_000_000_000;
const live = livesPerTest('sma-trust-restart-');
const run = (at: number, health?: Map<string, Health>): Promise<Harness> => live(at, { health });

/** Each device's events over several lives of the agent, as (to, reason) pairs. */
function history(lives: Harness[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const h of lives) {
    for (const e of h.trust()) out.set(e.deviceId, [...(out.get(e.deviceId) ?? []), `${e.to}:${e.reason}`]);
  }
  return out;
}

const kinds = (events: SmaEvent[]): string[] => events.map((e) => e.kind);

describe('TrustTracker across restarts (LevelDB store)', () => {
  it('neither repeats nor loses an event across a kill, and resumes deadlines from the remembered times', async () => {
    const live = ['live1', 'live2', 'live3'];
    const a = await run(T0);
    for (const id of ['s1', 's2', 's3']) a.tracker.beat(id, T0);
    await beatWhile(a, live, 1_000, 12_000);
    const lateBeat = a.clock.now();
    a.tracker.beat('late', lateBeat);
    await beatWhile(a, live, 1_000, 2_000);
    await a.crash();

    const b = await run(T0 + 17_000); // down for 3 s
    expect(b.trust()).toEqual([]);
    await beatWhile(b, live, 1_000, 13_000);
    b.tracker.beat('s1', b.clock.now());
    await b.advance(500);

    expect(Object.fromEntries(history([a, b]))).toEqual({
      s1: ['NONE:HEARTBEAT_TIMEOUT', 'COMPLETE:HEARTBEAT'],
      s2: ['NONE:HEARTBEAT_TIMEOUT'],
      s3: ['NONE:HEARTBEAT_TIMEOUT'],
      late: ['NONE:HEARTBEAT_TIMEOUT'],
    });
    const lateNone = b.trustFor('late')[0];
    expect(lateNone.at).toBeGreaterThanOrEqual(lateBeat + TIMEOUT_MS);
    expect(lateNone.at).toBeLessThanOrEqual(lateBeat + TIMEOUT_MS + 1_000);
    expect(b.tracker.counts()).toEqual({ devices: 7, trusted: 4 });
  });

  it('fires a deadline that passed while the agent was down once, right after the restart', async () => {
    const a = await run(T0);
    a.tracker.beat('d', T0);
    await a.advance(2_000);
    await a.crash();

    const b = await run(T0 + 60_000);
    await b.advance(200);
    expect(b.trust()).toMatchObject([{ deviceId: 'd', from: 'COMPLETE', to: 'NONE', reason: 'HEARTBEAT_TIMEOUT' }]);
    expect(b.trust()[0].at).toBeGreaterThanOrEqual(T0 + 60_000);
    await b.close();

    const c = await run(T0 + 61_000);
    await c.advance(TIMEOUT_MS);
    expect(c.trust()).toEqual([]);
    expect(c.tracker.query({ ids: ['d'] })[0]).toMatchObject({ trustLevel: 'NONE', lastHeartbeatAt: new Date(T0).toISOString() });
  });

  it('decides again, once, what was decided but not yet on disk when the agent was killed', async () => {
    const a = await run(T0);
    a.tracker.beat('d', T0);
    a.tracker.beat('e', T0);
    await a.advance(5_000);
    a.tracker.beat('e', a.clock.now());
    a.killDisk();
    a.clock.advance(6_000); // d's NONE is decided, its write never lands, so it is never published
    await a.crash();
    expect(a.trust()).toEqual([]);

    const b = await run(T0 + 11_500);
    await b.advance(TIMEOUT_MS);
    expect(Object.fromEntries(history([a, b]))).toEqual({ d: ['NONE:HEARTBEAT_TIMEOUT'], e: ['NONE:HEARTBEAT_TIMEOUT'] });
    // e's beat at T0+5s was in memory only, so its deadline comes from its first beat.
    expect(b.trustFor('e')[0].at).toBeLessThan(T0 + 5_000 + TIMEOUT_MS);
  });

  it('remembers plugin levels and the pending re-registration', async () => {
    const health = new Map<string, Health>([['dmi', 'UP']]);
    const a = await run(T0, health);
    a.tracker.pluginDevices('dmi', [{ id: 'p1' }, { id: 'p2' }], T0);
    await beatWhile(a, ['p1', 'p2'], 1_000, 2_000);
    health.set('dmi', 'DOWN');
    await beatWhile(a, ['p1', 'p2'], 1_000, 2_000);
    await a.crash();

    const later = new Map<string, Health>([['dmi', 'UNKNOWN']]);
    const b = await run(T0 + 5_000, later);
    await beatWhile(b, ['p1', 'p2'], 1_000, 3_000);
    expect(b.events).toEqual([]);
    later.set('dmi', 'UP');
    await beatWhile(b, ['p1', 'p2'], 1_000, 2_000);
    expect(kinds(b.events)).toEqual(['plugin-reregister']);
    b.tracker.pluginDevices('dmi', [{ id: 'p1' }], b.clock.now());
    await beatWhile(b, ['p1', 'p2'], 1_000, 2_000);
    expect(Object.fromEntries(history([a, b]))).toEqual({
      p1: ['NONE:PLUGIN_DOWN', 'COMPLETE:REREGISTERED'],
      p2: ['NONE:PLUGIN_DOWN'],
    });
  });

  it('restores thousands of devices over several chunks after a clean close', async () => {
    const a = await run(T0, new Map([['dmi', 'UP']]));
    const ids = Array.from({ length: 10_000 }, (_, k) => `device-${k}`);
    for (const id of ids) a.tracker.beat(id, T0);
    a.tracker.pluginDevices('dmi', [{ id: 'device-9999', properties: { room: 'r1' } }], T0);
    await beatWhile(a, ids.filter((_, k) => k % 3 !== 0), 2_000, 12_000);
    const before = a.tracker.query({});
    const counts = a.tracker.counts();
    expect(counts).toEqual({ devices: 10_000, trusted: 10_000 - 3_334 });
    await a.close();

    const b = await run(a.clock.now() + 100);
    expect(b.tracker.counts()).toEqual(counts);
    expect(b.tracker.query({})).toEqual(before);
    expect(b.tracker.deviceIndex('device-1234')).toBe(1234);
    expect(b.tracker.propertiesOf('device-9999')).toEqual({ room: 'r1' });
    await b.advance(1_000);
    expect(b.trust()).toEqual([]);
  });
});

