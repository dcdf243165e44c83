// Resource history in a real LevelDB store (temp dir): raw samples and minute min/avg/max, written once a
// minute in one batch for all services, aged out after their windows, answered in time order.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStore } from '../../src/store/level-store.js';
import type { BatchOp, Section } from '../../src/store/store.js';
import { History, MINUTE_MS } from '../../src/watch/history.js';

const T0 = 1_700_000_040_000; // a minute boundary

describe('History', () => {
  let dir: string;
  let store: LevelStore;
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function rig(now: { t: number }) {
    dir = mkdtempSync(join(tmpdir(), 'sma-history-'));
    store = await LevelStore.open(dir);
    const inner = store.section<unknown>('history');
    const batches: BatchOp<unknown>[][] = [];
    // Counts the batches the history writes; everything else passes to the real section.
    const section: Section<unknown> = { ...inner, batch: (ops) => (batches.push(ops), inner.batch(ops)), entries: (r) => inner.entries(r) };
    const history = new History({ section, rawWindowMs: 3 * MINUTE_MS, historyHours: 1, now: () => now.t, onWriteError: (err) => { throw err; } });
    return { history, batches, inner };
  }

  it('answers raw buckets and minute figures in time order, one batch a minute for all services', async () => {
    const now = { t: T0 };
    const { history, batches } = await rig(now);
    // Three minutes of samples every 10 s for two services: memory grows by 1 each sample.
    for (let i = 0; i < 18; i++) {
      now.t = T0 + i * 10_000;
      history.record('a', now.t, { memoryBytes: i, cpuPercent: 5 });
      history.record('b', now.t, { memoryBytes: 100 + i });
      await history.flush(now.t);
    }
    expect(batches).toHaveLength(2); // minutes 0 and 1 ended; minute 2 is still open
    const raw = await history.points('a', 'memoryBytes', T0, 10_000);
    expect(raw.map((p) => p[0])).toEqual(Array.from({ length: 18 }, (_, i) => T0 + i * 10_000));
    expect(raw.map((p) => p[2])).toEqual(Array.from({ length: 18 }, (_, i) => i));
    const minutes = await history.points('a', 'memoryBytes', T0, 60_000);
    expect(minutes).toEqual([
      [T0, 0, 2.5, 5],
      [T0 + 60_000, 6, 8.5, 11],
      [T0 + 120_000, 12, 14.5, 17],
    ]);
    expect(await history.points('a', 'fds', T0, 10_000)).toEqual([]);
    expect((await history.points('b', 'memoryBytes', T0 + 60_000, 60_000))[0]).toEqual([T0 + 60_000, 106, 108.5, 111]);
  });

  it('answers from the minute figures beyond the raw window, and drops what aged out', async () => {
    const now = { t: T0 };
    const { history, inner } = await rig(now);
    for (let i = 0; i < 6 * 70; i++) {
      now.t = T0 + i * 10_000;
      history.record('a', now.t, { memoryBytes: Math.floor(i / 6) });
      await history.flush(now.t);
    }
    const keys: string[] = [];
    for await (const [key] of inner.entries()) keys.push(key);
    // Raw: the last 3 minutes (the open one is in memory); minutes: the last hour.
    expect(keys.filter((k) => k.startsWith('r/')).length).toBeLessThanOrEqual(3);
    expect(keys.filter((k) => k.startsWith('m/')).length).toBeLessThanOrEqual(60);
    const hour = await history.points('a', 'memoryBytes', now.t - 3_600_000, 60_000);
    expect(hour.length).toBeGreaterThanOrEqual(59);
    // Past an hour's end its minutes are one key (a day is 24 keys to read); the query reads both kinds.
    const hourStart = Math.floor(now.t / 3_600_000) * 3_600_000;
    expect(keys.some((k) => k.startsWith('h/a/'))).toBe(true);
    expect(keys.filter((k) => k.startsWith('m/')).every((k) => Number(k.split('/')[2]) >= hourStart)).toBe(true);
    expect(hour.some(([t]) => t < hourStart) && hour.some(([t]) => t >= hourStart)).toBe(true);
    // Each minute its own value: min = avg = max = the minute's index.
    for (const [t, min, avg, max] of hour) expect([min, avg, max]).toEqual(Array(3).fill((t - T0) / 60_000));
  });

  it('writes the open minute at close, and the next run continues that minute instead of replacing it', async () => {
    const now = { t: T0 + 20_000 };
    const { history, batches } = await rig(now);
    history.record('a', now.t, { memoryBytes: 7 });
    await history.close(now.t);
    expect(batches).toHaveLength(1);
    expect(await history.points('a', 'memoryBytes', T0, 10_000)).toEqual([[T0 + 20_000, 7, 7, 7]]);
    // The agent again, later in the same minute (same store).
    const again = new History({ section: store.section<unknown>('history'), rawWindowMs: 3 * MINUTE_MS, historyHours: 1, now: () => now.t, onWriteError: (err) => { throw err; } });
    now.t = T0 + 40_000;
    again.record('a', now.t, { memoryBytes: 9 });
    now.t = T0 + 60_000;
    await again.flush(now.t);
    expect(await again.points('a', 'memoryBytes', T0, 10_000)).toEqual([[T0 + 20_000, 7, 7, 7], [T0 + 40_000, 9, 9, 9]]);
    expect(await again.points('a', 'memoryBytes', T0, 60_000)).toEqual([[T0, 7, 8, 9]]);
  });
});
