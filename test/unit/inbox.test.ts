// The inbox: validation, journal before acceptance, idempotency by correlationId, one command per service,
// time-outs, and work deferred until the reply is sent. The service control here is a recording double:
// the inbox is what is under test; the real supervisor is driven end to end in test/e2e.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { FakeClock } from '../../src/clock.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { Journal } from '../../src/inbox/journal.js';
import type { BatchItem } from '../../src/model.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { LevelStore } from '../../src/store/level-store.js';
import { tempDir } from '../support/agent-process.js';
import { storePorts } from '../support/store-ports.js';
import { OPERATOR, testPolicy } from '../support/principals.js';
import { RecordingControl } from '../support/recording-control.js';

const log = pino({ level: 'silent' });

describe('Inbox', () => {
  let store: LevelStore;
  let inbox: Inbox;
  let journal: Journal;
  let control: RecordingControl;
  let clock: FakeClock;
  let selfActions: string[];

  beforeEach(async () => {
    store = await LevelStore.open(tempDir('sma-inbox-'));
    const registry = await EmbeddedRegistry.open(store);
    for (const name of ['a', 'b']) await registry.register({ name, check: { type: 'none' } });
    control = new RecordingControl();
    clock = new FakeClock();
    selfActions = [];
    const ports = storePorts({ store, registry, services: control, clock, agentId: 'agent-x', self: { stop: async () => void selfActions.push('stop'), restart: async () => void selfActions.push('restart') } });
    journal = new Journal(store);
    await journal.open();
    inbox = new Inbox(ports, journal, { timeoutMs: 1_000, policy: testPolicy() }, log);
  });

  afterEach(async () => {
    await store.close();
  });

  it('refuses unknown operations and invalid bodies with INVALID_REQUEST', async () => {
    for (const [op, body] of [
      ['nope', {}],
      ['services.start', { names: ['UPPER'] }],
      ['services.start', {}],
      ['config.set', { name: 'a' }],
      ['services.list', 'text'],
    ] as const) {
      const reply = await (await inbox.accept({ op, body, origin: 'mqtt', principal: OPERATOR })).done;
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('INVALID_REQUEST');
    }
    expect(control.calls).toEqual([]);
  });

  it('journals a command before accepting it, and its reply when done', async () => {
    let release!: () => void;
    control.gate = new Promise((r) => (release = r));
    const ticket = await inbox.accept({ op: 'services.start', body: { names: ['a'] }, correlationId: 'c-1', origin: 'mqtt', principal: OPERATOR });
    const pending = [];
    for await (const entry of journal.unfinished()) pending.push(entry[1].command.correlationId);
    expect(pending).toEqual(['c-1']);
    release();
    const reply = await ticket.done;
    expect(reply.ok).toBe(true);
    const left = [];
    for await (const entry of journal.unfinished()) left.push(entry);
    expect(left).toEqual([]);
  });

  it('answers a repeated correlationId from the journal without running it again', async () => {
    const first = await (await inbox.accept({ op: 'services.restart', body: { names: ['a'] }, correlationId: 'same', origin: 'mqtt', principal: OPERATOR })).done;
    const again = await (await inbox.accept({ op: 'services.restart', body: { names: ['a'] }, correlationId: 'same', origin: 'mqtt', principal: OPERATOR })).done;
    expect(again).toEqual(first);
    expect(control.begun()).toEqual(['restart:a']);
  });

  it('runs one command per service at a time, and different services side by side', async () => {
    let release!: () => void;
    control.gate = new Promise((r) => (release = r));
    const t1 = await inbox.accept({ op: 'services.stop', body: { names: ['a'] }, origin: 'mqtt', principal: OPERATOR });
    const t2 = await inbox.accept({ op: 'services.start', body: { names: ['a'] }, origin: 'mqtt', principal: OPERATOR });
    const t3 = await inbox.accept({ op: 'services.start', body: { names: ['b'] }, origin: 'mqtt', principal: OPERATOR });
    await new Promise((r) => setTimeout(r, 20));
    expect(control.calls).toEqual(['stop:a', 'start:b']);
    release();
    await Promise.all([t1.done, t2.done, t3.done]);
    expect(control.calls.indexOf('start:a')).toBeGreaterThan(control.calls.indexOf('stop:a:end'));
  });

  it('ends a command TIMEOUT after operations.timeoutMs', async () => {
    control.gate = new Promise(() => {});
    const ticket = await inbox.accept({ op: 'services.restart', body: { names: ['b'] }, origin: 'mqtt', principal: OPERATOR });
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(1_001);
    const reply = await ticket.done;
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe('TIMEOUT');
  });

  it('answers NOT_FOUND per item and runs the agent itself last, only after the reply is sent', async () => {
    const ticket = await inbox.accept({ op: 'services.restart', body: { names: ['agent-x', 'a', 'ghost'] }, origin: 'mqtt', principal: OPERATOR });
    const reply = await ticket.done;
    expect(reply.ok).toBe(true);
    const items = (reply as { result: BatchItem[] }).result;
    expect(items.map((i) => [i.name, i.result])).toEqual([
      ['agent-x', 'OK'],
      ['a', 'OK'],
      ['ghost', 'NOT_FOUND'],
    ]);
    expect(selfActions).toEqual([]);
    ticket.afterSent();
    await new Promise((r) => setTimeout(r, 10));
    expect(selfActions).toEqual(['restart']);
  });

  it('needs no journal entry for reads', async () => {
    const reply = await (await inbox.accept({ op: 'services.list', body: {}, correlationId: 'r-1', origin: 'mqtt', principal: OPERATOR })).done;
    expect(reply.ok).toBe(true);
    expect(await journal.findByCorrelation({ principal: OPERATOR, correlationId: 'r-1' }, clock.now(), 1e9)).toBeUndefined();
  });
});
