// The command journal on a real LevelDB: answers INTERRUPTED exactly once after a crash, dedupes a
// correlationId even when the duplicate arrives while the first is still being journaled, and compacts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { FakeClock } from '../../src/clock.js';
import { IDEMPOTENCY_WINDOW_MS, Inbox } from '../../src/inbox/inbox.js';
import { Journal } from '../../src/inbox/journal.js';
import { JournalBudget } from '../../src/inbox/journal-budget.js';
import { JournalCompaction } from '../../src/inbox/journal-compaction.js';
import type { BatchItem, ServiceRecord } from '../../src/model.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { LevelStore } from '../../src/store/level-store.js';
import type { ServiceControl } from '../../src/supervisor/service-control.js';
import { tempDir } from '../support/agent-process.js';
import { storePorts } from '../support/store-ports.js';
import { OPERATOR, testPolicy } from '../support/principals.js';

const log = pino({ level: 'silent' });
const HOUR = 3_600_000;

describe('Journal', () => {
  let dir: string;
  let store: LevelStore;
  let clock: FakeClock;
  beforeEach(async () => {
    dir = tempDir('sma-journal-');
    store = await LevelStore.open(dir);
    clock = new FakeClock();
  });
  afterEach(() => store.close());

  it('answers what a crash cut short INTERRUPTED once, and the stored answer ever after', async () => {
    const journal = new Journal(store);
    await journal.open();
    await journal.append({ op: 'services.restart', body: { names: ['a'] }, correlationId: 'cut', origin: 'mqtt', principal: OPERATOR, replyTo: 'x/y' }, clock.now());
    const done = await journal.append({ op: 'services.stop', body: { names: ['a'] }, correlationId: 'whole', origin: 'mqtt', principal: OPERATOR }, clock.now());
    await journal.finish(done, { ok: true, result: [] }, clock.now());
    // "Crash": a new process opens the same store.
    await store.close();
    store = await LevelStore.open(dir);
    const again = new Journal(store);
    await again.open();
    const interrupted = await again.interruptUnfinished(clock.now());
    expect(interrupted.map((e) => [e.command.correlationId, e.command.replyTo, e.reply?.ok])).toEqual([['cut', 'x/y', false]]);
    expect(await again.interruptUnfinished(clock.now())).toEqual([]);
    expect((await again.findByCorrelation({ principal: OPERATOR, correlationId: 'cut' }, clock.now(), IDEMPOTENCY_WINDOW_MS))?.entry.reply).toMatchObject({ error: { code: 'INTERRUPTED' } });
    expect((await again.findByCorrelation({ principal: OPERATOR, correlationId: 'whole' }, clock.now(), IDEMPOTENCY_WINDOW_MS))?.entry.reply).toEqual({ ok: true, result: [] });
    // New keys continue after the old ones (acceptance order survives the restart).
    const next = await again.append({ op: 'services.start', body: { names: ['a'] }, origin: 'mqtt', principal: OPERATOR }, clock.now());
    expect(next > done).toBe(true);
  });

  it('compacts finished entries past the window, keeps unfinished ones and a reused id’s newer index', async () => {
    const journal = new Journal(store);
    await journal.open();
    const old = await journal.append({ op: 'services.stop', body: {}, correlationId: 'reused', origin: 'mqtt', principal: OPERATOR }, clock.now());
    await journal.finish(old, { ok: true, result: 'old' }, clock.now());
    const oldOther = await journal.append({ op: 'services.stop', body: {}, correlationId: 'gone', origin: 'mqtt', principal: OPERATOR }, clock.now());
    await journal.finish(oldOther, { ok: true, result: 'gone' }, clock.now());
    await journal.append({ op: 'services.stop', body: {}, correlationId: 'open', origin: 'mqtt', principal: OPERATOR }, clock.now());
    clock.advance(IDEMPOTENCY_WINDOW_MS + HOUR);
    const fresh = await journal.append({ op: 'services.stop', body: {}, correlationId: 'reused', origin: 'mqtt', principal: OPERATOR }, clock.now());
    await journal.finish(fresh, { ok: true, result: 'new' }, clock.now());

    const compaction = new JournalCompaction(journal, clock, { keepMs: IDEMPOTENCY_WINDOW_MS, everyMs: HOUR }, log);
    await compaction.start();
    expect(await journal.findByCorrelation({ principal: OPERATOR, correlationId: 'gone' }, clock.now(), Infinity)).toBeUndefined();
    expect((await journal.findByCorrelation({ principal: OPERATOR, correlationId: 'reused' }, clock.now(), Infinity))?.entry.reply).toEqual({ ok: true, result: 'new' });
    expect((await journal.findByCorrelation({ principal: OPERATOR, correlationId: 'open' }, clock.now(), Infinity))?.entry.reply).toBeUndefined();
    // And on the timer: the fresh entry goes once it is old enough.
    clock.advance(IDEMPOTENCY_WINDOW_MS + HOUR);
    await compaction.runOnce();
    expect(await journal.findByCorrelation({ principal: OPERATOR, correlationId: 'reused' }, clock.now(), Infinity)).toBeUndefined();
    await compaction.stop();
    const left: string[] = [];
    for await (const [, e] of store.section<{ command: { correlationId?: string } }>('journal').entries()) left.push(e.command.correlationId ?? '');
    expect(left).toEqual(['open']);
  });

  it('runs a command once when its duplicate arrives while the first is still being journaled', async () => {
    let runs = 0;
    const control = {
      view: (r: ServiceRecord) => ({ name: r.name, status: 'RUNNING', health: 'UP', restarts: 0, source: r.source, plugin: r.plugin }),
      restart: async (r: ServiceRecord): Promise<BatchItem> => {
        runs++;
        return { name: r.name, result: 'OK', status: 'RUNNING' };
      },
    } as unknown as ServiceControl; // only restart is called here
    const registry = await EmbeddedRegistry.open(store);
    await registry.register({ name: 'a', check: { type: 'none' } });
    const ports = storePorts({ store, registry, services: control, clock });
    const journal = new Journal(store);
    await journal.open();
    const inbox = new Inbox(ports, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    const command = { op: 'services.restart', body: { names: ['a'] }, correlationId: 'dup', origin: 'mqtt' as const, principal: OPERATOR };
    const tickets = await Promise.all([inbox.accept(command), inbox.accept(command), inbox.accept(command)]);
    const replies = await Promise.all(tickets.map((t) => t.done));
    expect(runs).toBe(1);
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await (await inbox.accept(command)).done).toEqual(replies[0]);
    expect(runs).toBe(1);
    // Draining: new commands are refused, nothing is left running.
    expect(await inbox.drain(1_000)).toBe(0);
    expect(await (await inbox.accept({ ...command, correlationId: 'late' })).done).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  });
});

describe('Journal byte budget', () => {
  let dir: string;
  let store: LevelStore;
  beforeEach(async () => {
    dir = tempDir('sma-journal-budget-');
    store = await LevelStore.open(dir);
  });
  afterEach(() => store.close());

  const SVC = { role: 'service', username: 'svc' } as const;
  const big = (cid: string) => ({ op: 'registry.register', body: { name: 'svc', config: { blob: 'x'.repeat(2_000) } }, correlationId: cid, origin: 'mqtt' as const, principal: SVC });
  const limits = { maxBytes: 20_000, principalShare: 0.5 };

  it('counts what is on disk again after a restart, and frees what compaction drops', async () => {
    let journal = new Journal(store, new JournalBudget(limits));
    await journal.open();
    let n = 0;
    while (!journal.refusal(big(`c${n}`), 0) && n < 100) {
      const key = await journal.append(big(`c${n}`), 0);
      await journal.finish(key, { ok: true, result: { name: 'svc' } }, 0);
      n++;
    }
    expect(n).toBeGreaterThan(2);
    expect(n).toBeLessThan(6);
    expect(journal.refusal(big('next'), 0)).toMatch(/share of the command journal/);
    // The operator has a share of its own.
    expect(journal.refusal({ ...big('op'), principal: OPERATOR }, 0)).toBeUndefined();

    // "Restart": a new journal over the same store finds the share used up.
    journal = new Journal(store, new JournalBudget(limits));
    await journal.open();
    expect(journal.refusal(big('next'), 0)).toMatch(/share of the command journal/);

    // Compaction past the window gives the bytes back.
    expect(await journal.compact(2 * IDEMPOTENCY_WINDOW_MS, IDEMPOTENCY_WINDOW_MS)).toBe(n);
    expect(journal.refusal(big('next'), 0)).toBeUndefined();
  });

  it('refuses anyone once the whole journal is full', async () => {
    const journal = new Journal(store, new JournalBudget({ maxBytes: 10_000, principalShare: 1 }));
    await journal.open();
    for (let i = 0; i < 4; i++) await journal.append(big(`c${i}`), 0);
    expect(journal.refusal({ ...big('op'), principal: OPERATOR }, 0)).toMatch(/command journal is full/);
  });
});
