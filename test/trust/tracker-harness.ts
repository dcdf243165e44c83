// A TrustTracker on a FakeClock and a real LevelDB store in a temporary directory, recording every event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { EventBus, type SmaEvent, type TrustEvent } from '../../src/events.js';
import type { Health } from '../../src/model.js';
import { LevelStore } from '../../src/store/level-store.js';
import { atomicWrite, type Section, type SectionOp, type Store, type WriteOptions } from '../../src/store/store.js';
import { TrustTracker, type TrustTrackerOptions } from '../../src/trust/trust-tracker.js';

export const TIMEOUT_MS = 10_000;
export const CHECK_MS = 1_000;

export interface Harness {
  tracker: TrustTracker;
  clock: FakeClock;
  store: LevelStore;
  dir: string;
  events: SmaEvent[];
  health: Map<string, Health>;
  trust(): TrustEvent[];
  trustFor(deviceId: string): TrustEvent[];
  /** Moves the fake clock (firing wheel ticks and checks) and waits until decisions are written and published. */
  advance(ms: number): Promise<void>;
  /**
   * Ends like a SIGKILL: from now on no write reaches the disk and no event gets out; no final checkpoint.
   * The store is closed so another tracker can open the same directory.
   */
  crash(): Promise<void>;
  /** From now on writes hang without reaching the disk (the moment before a kill). */
  killDisk(): void;
  close(): Promise<void>;
}

export async function startHarness(
  options: { dir?: string; clock?: FakeClock; health?: Map<string, Health>; tracker?: Partial<TrustTrackerOptions>; unacknowledged?: boolean } = {},
): Promise<Harness> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sma-trust-'));
  const level = await LevelStore.open(dir);
  const store = new KillableStore(level);
  const clock = options.clock ?? new FakeClock();
  const health = options.health ?? new Map<string, Health>();
  const bus = new EventBus();
  const events: SmaEvent[] = [];
  let stopped = false;
  let closed = false;
  bus.on((e) => {
    if (stopped) return;
    events.push(e);
    // As the MQTT front does once the broker took it; `unacknowledged` plays a broker that never answers.
    if (e.kind === 'trust' && !options.unacknowledged) tracker.acknowledge(e);
  });
  const tracker = new TrustTracker({
    store,
    events: bus,
    clock,
    config: { heartbeatTimeoutMs: TIMEOUT_MS, pluginCheckIntervalMs: CHECK_MS },
    log: pino({ level: 'silent' }),
    plugins: () => [...health].map(([name, h]) => ({ name, health: h })),
    options: options.tracker,
  });
  await tracker.start();
  await tracker.sync();
  const trust = (): TrustEvent[] => events.filter((e): e is TrustEvent => e.kind === 'trust');
  return {
    tracker,
    clock,
    store: level,
    dir,
    events,
    health,
    trust,
    trustFor: (id) => trust().filter((e) => e.deviceId === id),
    async advance(ms) {
      clock.advance(ms);
      await tracker.sync();
    },
    async crash() {
      // The fake clock is never advanced again, so the tracker's timers are dead too.
      stopped = true;
      store.dead = true;
      await level.close();
    },
    killDisk() {
      store.dead = true;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!stopped) {
        await tracker.close();
        await level.close();
      }
      // A directory handed in belongs to the caller (a restart test shares it between trackers).
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The agent's lives over one data directory per test: `live(at)` starts one with its clock at `at`; after
 * the test, every life is closed (a crashed or closed one is left as it is) and the directory removed.
 */
export function livesPerTest(prefix: string): (at: number, o?: { health?: Map<string, Health>; unacknowledged?: boolean }) => Promise<Harness> {
  let dir: string;
  const lives: Harness[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const h of lives.splice(0)) await h.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return async (at, o = {}) => {
    const h = await startHarness({ dir, clock: new FakeClock(at), ...o });
    lives.push(h);
    return h;
  };
}

/** Beats `ids` every `everyMs` while advancing the clock by `totalMs`. */
export async function beatWhile(h: Harness, ids: readonly string[], everyMs: number, totalMs: number, plugin?: string): Promise<void> {
  for (let elapsed = 0; elapsed < totalMs; elapsed += everyMs) {
    for (const id of ids) h.tracker.beat(id, h.clock.now(), plugin);
    await h.advance(Math.min(everyMs, totalMs - elapsed));
  }
}

/** A store that can "die": writes after that never land and never resolve, as in a killed process. */
class KillableStore implements Store {
  dead = false;

  constructor(private readonly inner: Store) {}

  section<V>(name: string): Section<V> {
    const sub = this.inner.section<V>(name);
    const never = new Promise<never>(() => {});
    return {
      get: (key) => sub.get(key),
      entries: (range) => sub.entries(range),
      put: (key, value) => (this.dead ? never : sub.put(key, value)),
      del: (key) => (this.dead ? never : sub.del(key)),
      batch: (ops) => (this.dead ? never : sub.batch(ops)),
    };
  }

  atomic(ops: SectionOp[], options?: WriteOptions): Promise<void> {
    return this.dead ? new Promise<never>(() => {}) : atomicWrite(this.inner, ops, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
