// Issue 11, item 2: the acknowledgement follows the journal. The embedded broker's PUBACK waits for the
// agent's handler (aedes would send it first); a duplicate is acknowledged only once the original's journal
// write is on disk; queue places follow arrival order even when journal writes finish out of order; and
// a command still waiting in its queue at a crash runs after the restart, one that had started is INTERRUPTED.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import pino from 'pino';
import { FakeClock } from '../../src/clock.js';
import type { Command } from '../../src/inbox/command.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { Journal } from '../../src/inbox/journal.js';
import { BrokerAccess } from '../../src/mqtt/broker-access.js';
import { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import type { Ports } from '../../src/operations/ports.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { LevelStore } from '../../src/store/level-store.js';
import { tempDir } from '../support/agent-process.js';
import { storePorts } from '../support/store-ports.js';
import { OPERATOR, testPolicy } from '../support/principals.js';
import { RecordingControl } from '../support/recording-control.js';
import { waitFor } from '../support/wait-for.js';

const log = pino({ level: 'silent' });
const settledWithin = <T>(p: Promise<T>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('embedded broker: the PUBACK follows the in-process handler', () => {
  let broker: EmbeddedBroker;
  afterEach(async () => broker?.close());

  it('holds a QoS 1 PUBACK until the handler resolves, and delivers in-process publishes too', async () => {
    broker = await EmbeddedBroker.start({ host: '127.0.0.1', port: 0, log, access: new BrokerAccess([], 'r', async () => false) });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const taken: string[] = [];
    await broker.transport().subscribe(['r/request/+'], async (m) => {
      taken.push(`${m.topic}:${m.payload.toString()}:${m.retain ? 'retained' : 'live'}`);
      if (m.payload.toString() === 'slow') await gate;
    });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const acked = client.publishAsync('r/request/x', 'slow', { qos: 1 });
      expect(await settledWithin(acked, 400), 'PUBACK before the handler finished').toBe(false);
      open();
      expect(await settledWithin(acked, 2_000)).toBe(true);
      await client.publishAsync('r/request/y', 'kept', { qos: 1 });
      await client.publishAsync('r/other', 'not ours', { qos: 1 });
      await broker.transport().publish('r/request/z', 'in-process', { qos: 1 });
      expect(taken).toEqual(['r/request/x:slow:live', 'r/request/y:kept:live', 'r/request/z:in-process:live']);
    } finally {
      await client.endAsync(true);
    }
  });
});

/** A journal whose appends can be held back one by one, like a slow SD card finishing writes out of order. */
class HeldJournal extends Journal {
  held = new Map<string, () => void>();
  hold = new Set<string>();
  override async append(command: Command, at: number, key?: string): Promise<string> {
    const cid = command.correlationId ?? '';
    if (this.hold.has(cid)) await new Promise<void>((r) => this.held.set(cid, r));
    return super.append(command, at, key);
  }
}

describe('inbox: acknowledgement, queue order and recovery', () => {
  let dir: string;
  let store: LevelStore;
  let control: RecordingControl;
  let ports: Ports;
  const cmd = (cid: string, names = ['a']): Command => ({ op: 'services.restart', body: { names }, correlationId: cid, origin: 'mqtt', principal: OPERATOR });

  beforeEach(async () => {
    dir = tempDir('sma-ack-');
    store = await LevelStore.open(dir);
    const registry = await EmbeddedRegistry.open(store);
    for (const name of ['a', 'b']) await registry.register({ name, check: { type: 'none' } });
    control = new RecordingControl();
    const clock = new FakeClock();
    ports = storePorts({ store, registry, services: control, clock, agentId: 'agent-x' });
  });
  afterEach(() => store.close());

  it("acknowledges a duplicate only once the original's journal write is on disk", async () => {
    const journal = new HeldJournal(store);
    await journal.open();
    journal.hold.add('dup');
    const inbox = new Inbox(ports, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    const original = inbox.accept(cmd('dup'));
    const duplicate = inbox.accept(cmd('dup'));
    expect(await settledWithin(duplicate, 300), 'duplicate acknowledged before the original was journaled').toBe(false);
    journal.held.get('dup')!();
    const [a, b] = await Promise.all([original, duplicate]);
    expect(await b.done).toEqual(await a.done);
    expect(control.begun()).toEqual(['restart:a']);
  });

  it('queues commands in arrival order even when their journal writes finish out of order', async () => {
    const journal = new HeldJournal(store);
    await journal.open();
    journal.hold.add('first');
    const inbox = new Inbox(ports, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    control.gate = new Promise(() => {}); // nothing finishes: only the order of starts is looked at
    const first = inbox.accept({ ...cmd('first'), op: 'services.stop' });
    const second = inbox.accept(cmd('second'));
    await new Promise((r) => setTimeout(r, 200));
    journal.held.get('first')!();
    await Promise.all([first, second]);
    await new Promise((r) => setTimeout(r, 100));
    expect(control.begun()).toEqual(['stop:a']);
  });

  it('after a crash, runs what was waiting in order and answers what had started INTERRUPTED', async () => {
    let journal = new Journal(store);
    await journal.open();
    let inbox = new Inbox(ports, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    control.gate = new Promise(() => {}); // the first command hangs: the "crash" comes while it runs
    const tickets = await Promise.all(['q1', 'q2', 'q3'].map((cid) => inbox.accept(cmd(cid))));
    const onB = await inbox.accept(cmd('b1', ['b']));
    void tickets;
    void onB;
    await new Promise((r) => setTimeout(r, 100));
    expect(control.begun()).toEqual(['restart:a', 'restart:b']);

    // "Crash": the store is reopened by a new journal and inbox, as the next process would.
    await store.close();
    store = await LevelStore.open(dir);
    ports = { ...ports, registry: await EmbeddedRegistry.open(store) };
    control.calls = [];
    control.gate = Promise.resolve();
    journal = new Journal(store);
    await journal.open();
    const recovered = await journal.recover(0);
    expect(recovered.interrupted.map(([, e]) => e.command.correlationId)).toEqual(['q1', 'b1']);
    expect(recovered.queued.map(([, e]) => e.command.correlationId)).toEqual(['q2', 'q3']);
    inbox = new Inbox({ ...ports, services: control }, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    const resumed = inbox.resume(recovered.queued);
    // A re-send while a resumed command is still queued joins it: it does not run again.
    const again = await inbox.accept(cmd('q3'));
    const answers = await Promise.all(resumed.map((r) => r.done));
    expect(answers.map((r) => r.ok)).toEqual([true, true]);
    expect(await again.done).toEqual(answers[1]);
    expect(control.begun()).toEqual(['restart:a', 'restart:a']);
    // Answered for good: a third start finds nothing left to do, and re-sends get the stored answers.
    expect(await journal.recover(0)).toEqual({ interrupted: [], queued: [] });
    expect(await (await inbox.accept(cmd('q1'))).done).toMatchObject({ ok: false, error: { code: 'INTERRUPTED' } });
    expect(await (await inbox.accept(cmd('q2'))).done).toEqual(answers[0]);
    expect(control.begun()).toHaveLength(2);
  });

  it('marks a request whose answer goes out anyway, so that a broker redelivery (DUP) is not answered twice', async () => {
    let journal = new Journal(store);
    await journal.open();
    let inbox = new Inbox(ports, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    const sentMark = async (cid: string): Promise<number | undefined> => (await journal.findByCorrelation(cmd(cid), 0, 60_000))?.entry.sentAt;
    // Normal flow: the answer the broker took is marked; one it did not take is not.
    const n1 = await inbox.accept(cmd('n1'));
    await n1.done;
    n1.afterSent(true);
    const n2 = await inbox.accept(cmd('n2'));
    await n2.done;
    n2.afterSent(false);
    await waitFor('n1 marked sent', async () => (await sentMark('n1')) !== undefined);
    expect((await inbox.accept(cmd('n1'))).answeredElsewhere).toBe(true);
    expect((await inbox.accept(cmd('n2'))).answeredElsewhere).toBe(false);

    control.gate = new Promise(() => {}); // r1 hangs while running; r2 waits behind it: then the "crash"
    await inbox.accept(cmd('r1'));
    await inbox.accept(cmd('r2'));
    // A duplicate of a command still on its way joins it: the original's request gets the answer.
    expect((await inbox.accept(cmd('r2'))).answeredElsewhere).toBe(true);
    await store.close();
    store = await LevelStore.open(dir);
    ports = { ...ports, registry: await EmbeddedRegistry.open(store) };
    control.gate = Promise.resolve();
    journal = new Journal(store);
    await journal.open();
    const recovered = await journal.recover(0);
    inbox = new Inbox({ ...ports, services: control }, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    const resumed = inbox.resume(recovered.queued, recovered.interrupted);
    expect(resumed.map((r) => r.command.correlationId)).toEqual(['r1', 'r2']);
    // Redelivered before recovery has sent the answers: they join, answered once by recovery.
    expect((await inbox.accept(cmd('r1'))).answeredElsewhere).toBe(true);
    expect((await inbox.accept(cmd('r2'))).answeredElsewhere).toBe(true);
    for (const r of resumed) {
      await r.done;
      r.sent(true);
    }
    await waitFor('r1, r2 marked sent', async () => (await sentMark('r2')) !== undefined && (await sentMark('r1')) !== undefined);
    const later = await inbox.accept(cmd('r1'));
    expect(later.answeredElsewhere).toBe(true);
    expect(await later.done).toMatchObject({ ok: false, error: { code: 'INTERRUPTED' } });
  });
});
