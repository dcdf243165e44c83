// Issue 5: a disk that turns read-only under a running agent. A live remount is refused while LevelDB holds
// files open for writing (EBUSY), so this component test puts a store in between that fails writes the way
// LevelDB reports EROFS; the guard, journal, inbox, operations and registry above it are the real ones.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { FakeClock } from '../../src/clock.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { Journal } from '../../src/inbox/journal.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { GuardedStore, type ReopenableStore } from '../../src/store/guarded-store.js';
import { LevelStore } from '../../src/store/level-store.js';
import type { Section, SectionOp, Store, WriteOptions } from '../../src/store/store.js';
import { tempDir } from '../support/agent-process.js';
import { storePorts } from '../support/store-ports.js';
import { alwaysRunning } from '../support/always-running.js';
import { OPERATOR, testPolicy } from '../support/principals.js';

const erofs = (): Error => Object.assign(new Error('IO error: 000003.log: Read-only file system'), { code: 'LEVEL_IO_ERROR' });

/** The real LevelDB store, whose writes (and reopen) fail while `readOnly` is set. */
class ReadOnlyAtWill implements ReopenableStore {
  readOnly = false;
  constructor(private readonly inner: LevelStore) {}
  get location(): string {
    return this.inner.location;
  }
  section<V>(name: string): Section<V> {
    const s = this.inner.section<V>(name);
    const guard = <T>(fn: () => Promise<T>): Promise<T> => (this.readOnly ? Promise.reject(erofs()) : fn());
    return { get: s.get, entries: s.entries, put: (k, v) => guard(() => s.put(k, v)), del: (k) => guard(() => s.del(k)), batch: (ops) => guard(() => s.batch(ops)) };
  }
  atomic(ops: SectionOp[], options?: WriteOptions): Promise<void> {
    return this.readOnly ? Promise.reject(erofs()) : this.inner.atomic(ops, options);
  }
  reopen(): Promise<void> {
    return this.readOnly ? Promise.reject(erofs()) : this.inner.reopen();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const control = alwaysRunning;

describe('a store that turns read-only', () => {
  let disk: ReadOnlyAtWill;
  let store: GuardedStore;
  let inbox: Inbox;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = new FakeClock();
    disk = new ReadOnlyAtWill(await LevelStore.open(tempDir('sma-ro-')));
    store = new GuardedStore(disk, { clock, log: pino({ level: 'silent' }), probeEveryMs: 5_000, probeBytes: 4096 });
    const ports = storePorts({ store, registry: await EmbeddedRegistry.open(store), services: control, clock });
    const journal = new Journal(store as Store);
    await journal.open();
    inbox = new Inbox(ports, journal, { timeoutMs: 5_000, policy: testPolicy(), refuseWrites: () => store.refusal() }, pino({ level: 'silent' }));
  });
  afterEach(() => store.close());

  const ask = async (op: string, body: Record<string, unknown>, correlationId?: string) => (await inbox.accept({ op, body, origin: 'mqtt', principal: OPERATOR, correlationId })).done;

  it('refuses commands with UNAVAILABLE, keeps reads and stored answers, and recovers after a probe and a reopen', async () => {
    const first = await ask('registry.register', { name: 'a', check: { type: 'none' }, config: { x: 1 } }, 'c-1');
    expect(first.ok).toBe(true);

    disk.readOnly = true;
    const refused = await ask('config.set', { name: 'a', config: { x: 2 } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(store.condition()).toMatchObject({ writable: false, reason: expect.stringMatching(/Read-only file system/) });
    // Refused up front from now on, with the reason.
    const next = await ask('registry.register', { name: 'b', check: { type: 'none' } });
    expect(next).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringMatching(/not writable.*Read-only/) } });
    // Reads, and the stored answer of an earlier command.
    expect(await ask('services.list', {})).toMatchObject({ ok: true, result: [{ name: 'a' }] });
    expect(await ask('config.get', { name: 'a' })).toEqual({ ok: true, result: { name: 'a', config: { x: 1 } } });
    expect(await ask('registry.register', { name: 'a', check: { type: 'none' } }, 'c-1')).toEqual(first);

    // The disk takes writes again, but nothing is written until the store has been reopened.
    disk.readOnly = false;
    expect((await ask('config.set', { name: 'a', config: { x: 3 } })).ok).toBe(false);
    disk.readOnly = true;
    clock.advance(5_000); // probe: the file write passes, the reopen fails: still refusing
    await new Promise((r) => setTimeout(r, 50));
    expect(store.condition().writable).toBe(false);
    disk.readOnly = false;
    clock.advance(5_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(store.condition()).toEqual({ writable: true });
    expect(await ask('config.set', { name: 'a', config: { x: 4 } })).toMatchObject({ ok: true, result: { config: { x: 4 } } });
  });
});
