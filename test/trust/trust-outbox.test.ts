// The trust outbox (issue 11 item 3) and the beat marks (issue 14) on a real LevelDB store: events a crash
// caught unacknowledged go out again after the restart with the same ids; acknowledged ones never do; a
// steady fleet's checkpoints write one bit per device, not its times.
import { describe, expect, it } from 'vitest';
import type { Health } from '../../src/model.js';
import type { SectionOp, WriteOptions } from '../../src/store/store.js';
import { beatWhile, livesPerTest, TIMEOUT_MS, type Harness } from './tracker-harness.js';

const T0 = 1_700_000_000_000;
const live = livesPerTest('sma-trust-outbox-');
const run = (at: number, health: Map<string, Health>, unacknowledged = false): Promise<Harness> => live(at, { health, unacknowledged });

describe('trust outbox', () => {
  const ids = Array.from({ length: 300 }, (_, k) => `p${k}`);

  async function sweep(unacknowledged: boolean): Promise<{ a: Harness; sent: Map<string, string> }> {
    const health = new Map<string, Health>([['dmi', 'UP']]);
    const a = await run(T0, health, unacknowledged);
    a.tracker.pluginDevices('dmi', ids.map((id) => ({ id })), T0);
    a.tracker.beat('other', T0);
    await a.advance(1_000);
    health.set('dmi', 'DOWN');
    await a.advance(1_000);
    const sent = new Map(a.trust().map((e) => [e.deviceId, e.id]));
    expect(sent.size).toBe(ids.length);
    return { a, sent };
  }

  it('publishes again, with the same ids, what the broker never acknowledged before a crash', async () => {
    const { a, sent } = await sweep(true);
    expect(a.tracker.eventsOwed).toBe(ids.length);
    await a.crash();
    const b = await run(T0 + 3_000, new Map([['dmi', 'UNKNOWN']]));
    expect(b.trust()).toEqual([]);
    await b.tracker.resendPending();
    await b.tracker.sync();
    const again = b.trust();
    expect(again.map((e) => [e.deviceId, e.id, e.to, e.reason])).toEqual(ids.map((id) => [id, sent.get(id), 'NONE', 'PLUGIN_DOWN']));
    expect(b.tracker.eventsOwed).toBe(0);
    await b.crash();
    // Acknowledged after the restart: the outbox is empty, so a third life publishes nothing.
    const c = await run(T0 + 4_000, new Map([['dmi', 'UNKNOWN']]));
    await c.tracker.resendPending();
    await c.advance(1_000);
    expect(c.trust()).toEqual([]);
  });

  it('never publishes again what the broker acknowledged, and numbers new events after the old ones', async () => {
    const { a, sent } = await sweep(false);
    expect(a.tracker.eventsOwed).toBe(0);
    await a.crash();
    const b = await run(T0 + 3_000, new Map([['dmi', 'UNKNOWN']]));
    await b.tracker.resendPending();
    await b.advance(TIMEOUT_MS + 1_000); // 'other' times out: a new event, a new id
    expect(b.trust().map((e) => e.deviceId)).toEqual(['other']);
    expect([...sent.values()]).not.toContain(b.trust()[0].id);
  });

  it('publishes again an event the broker has not acknowledged for a minute, same id', async () => {
    const { a, sent } = await sweep(true);
    await a.advance(61_000);
    await a.advance(10_000);
    const again = a.trust().slice(ids.length);
    expect(again.length).toBeGreaterThanOrEqual(ids.length);
    expect(again.slice(0, ids.length).map((e) => e.id)).toEqual(ids.map((id) => sent.get(id)));
  });
});

describe('the write of a level change', () => {
  it('puts the level, its event (outbox record) and the meta record in one batch, synced', async () => {
    const a = await run(T0, new Map());
    a.tracker.beat('d', T0);
    await a.advance(1_000);
    const writes: Array<{ keys: string[]; sync: boolean }> = [];
    const atomic = a.store.atomic.bind(a.store);
    a.store.atomic = (ops: SectionOp[], options?: WriteOptions) => {
      writes.push({ keys: ops.map((op) => op.key), sync: options?.sync === true });
      return atomic(ops, options);
    };
    await a.advance(TIMEOUT_MS);
    expect(a.trustFor('d')).toHaveLength(1);
    const decision = writes.find((w) => w.keys.some((k) => k.startsWith('ob/')));
    expect(decision?.keys).toEqual(expect.arrayContaining(['fl/000000', 'meta']));
    expect(decision?.sync).toBe(true);
  });
});

describe('beat marks', () => {
  it('writes a steady fleet\'s heartbeats as one bit per device, and resumes deadlines from them', async () => {
    const fleet = Array.from({ length: 5_000 }, (_, k) => `d${k}`);
    const a = await run(T0, new Map());
    for (const id of fleet) a.tracker.beat(id, T0);
    await a.advance(1_000); // the first checkpoint writes the new devices whole
    const written: string[] = [];
    let bytes = 0;
    const atomic = a.store.atomic.bind(a.store);
    a.store.atomic = (ops: SectionOp[], options?: WriteOptions) => {
      for (const op of ops) {
        written.push(op.key);
        bytes += op.key.length + (op.value === undefined ? 0 : JSON.stringify(op.value).length);
      }
      return atomic(ops, options);
    };
    await beatWhile(a, fleet, 500, 5_000);
    expect(written.some((k) => /^(rf|lb|fl|id|pl)\//.test(k))).toBe(false);
    expect(written.filter((k) => k.startsWith('bm/')).length).toBeGreaterThanOrEqual(4);
    expect(bytes).toBeLessThan(6 * 1_000); // five or six marks of 5 000 bits; times would be 80 000 bytes a time
    const lastBeat = a.clock.now();
    await a.crash();

    // Down 2 s: the fleet beat until the crash, so no one's deadline passes before lastBeat + timeout.
    const b = await run(lastBeat + 2_000, new Map());
    await b.advance(TIMEOUT_MS - 3_000);
    expect(b.trust()).toEqual([]);
    await b.advance(4_000);
    expect(b.trust()).toHaveLength(fleet.length);
    for (const e of b.trust()) expect(e.at - lastBeat).toBeLessThanOrEqual(TIMEOUT_MS + 2_000);
  });

  it('keeps the exact last beat of a device that timed out, after its marks have expired', async () => {
    const a = await run(T0, new Map());
    await beatWhile(a, ['d'], 1_000, 15_000);
    const last = a.clock.now() - 1_000;
    await a.advance(TIMEOUT_MS + 20_000);
    expect(a.trustFor('d').map((e) => e.to)).toEqual(['NONE']);
    await a.crash();
    const b = await run(T0 + 60_000, new Map());
    expect(b.tracker.query({ ids: ['d'] })[0]).toMatchObject({ trustLevel: 'NONE', lastHeartbeatAt: new Date(last).toISOString() });
  });
});
