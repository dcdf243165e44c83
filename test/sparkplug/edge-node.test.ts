// The session rules of edge-node.ts driven with a fake clock and an in-memory connection. The double stands in
// for mosquitto only where the real one is slow to drive: 300 messages for the seq wrap, 260 refused
// connections for the bdSeq wrap, timers of the retry. The same rules run against mosquitto in
// test/e2e/sparkplug-edge-node.test.ts.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { BadInputLog } from '../../src/sparkplug/bad-input-log.js';
import type { ConnectionOptions, EdgeConnection } from '../../src/sparkplug/edge-connection.js';
import { EdgeNode, type BdSeqMemory } from '../../src/sparkplug/edge-node.js';
import { decodePayload, encodePayload } from '../../src/sparkplug/payload.js';
import { SparkplugTopics } from '../../src/sparkplug/topics.js';

interface Sent {
  topic: string;
  qos: number;
  seq?: number;
  bdSeq?: unknown;
}

class MemoryConnection implements EdgeConnection {
  readonly sent: Sent[] = [];
  subscribed: string[] = [];
  ended?: { withWill: boolean };
  private handler?: (topic: string, payload: Buffer, retained: boolean) => void;
  private lostHandler?: (reason: string) => void;

  constructor(readonly v5: boolean, readonly will: ConnectionOptions['will']) {}

  /** Called after each message is taken (a test may deliver a command in the middle of a birth). */
  onPublish?: (topic: string) => void;

  async publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    const p = decodePayload(payload);
    this.sent.push({ topic, qos, seq: p.seq, bdSeq: p.metrics.find((m) => m.name === 'bdSeq')?.value });
    this.onPublish?.(topic);
  }
  async subscribe(filters: string[]): Promise<void> {
    this.subscribed.push(...filters);
  }
  onMessage(handler: (topic: string, payload: Buffer, retained: boolean) => void): void {
    this.handler = handler;
  }
  onLost(handler: (reason: string) => void): void {
    this.lostHandler = handler;
  }
  async end(withWill: boolean): Promise<void> {
    this.ended = { withWill };
  }
  deliver(topic: string, payload: Buffer | string, retained = false): void {
    this.handler?.(topic, Buffer.from(payload), retained);
  }
  drop(): void {
    this.lostHandler?.('test');
  }
}

const topics = new SparkplugTopics('g', 'e');
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function rig(options: { primaryHostId?: string; v5?: boolean; failConnects?: number; stored?: number; rebirthMinIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  const connections: MemoryConnection[] = [];
  const remembered: number[] = [];
  let stored = options.stored;
  let failures = options.failConnects ?? 0;
  const memory: BdSeqMemory = {
    recall: async () => stored,
    remember: async (n) => {
      stored = n;
      remembered.push(n);
    },
  };
  const log = pino({ level: 'silent' });
  const node = new EdgeNode({
    topics,
    connection: { url: 'mqtt://127.0.0.1:1', clientId: 'c', protocolVersion: options.v5 ? 5 : 4 },
    open: async (o) => {
      if (failures > 0) {
        failures--;
        throw new Error('refused');
      }
      const c = new MemoryConnection(options.v5 ?? false, o.will);
      connections.push(c);
      return c;
    },
    primaryHostId: options.primaryHostId,
    memory,
    births: () => ({
      node: [{ name: 'bdSeq', type: 'Int64', value: 0, timestamp: clock.now() }],
      devices: [['svc', [{ name: 'Status', type: 'String', value: 'RUNNING', timestamp: clock.now() }]]],
    }),
    onNodeCommand: () => {},
    onDeviceCommand: () => {},
    badInput: new BadInputLog(log),
    rebirthMinIntervalMs: options.rebirthMinIntervalMs,
    clock,
    log,
  });
  const last = (): MemoryConnection => connections[connections.length - 1];
  const willBdSeq = (c: MemoryConnection): unknown => decodePayload(c.will.payload).metrics[0].value;
  return { node, clock, connections, remembered, last, willBdSeq };
}

const state = (online: boolean, timestamp: number): string => JSON.stringify({ online, timestamp });

describe('EdgeNode session rules', () => {
  it('bdSeq 0 with a new store, remembered before CONNECT; the will and the NBIRTH carry the same bdSeq', async () => {
    const r = rig();
    await r.node.start();
    expect(r.remembered).toEqual([0]);
    expect(r.willBdSeq(r.last())).toBe(0);
    expect(r.last().will.topic).toBe('spBv1.0/g/NDEATH/e');
    expect(r.last().sent.slice(0, 2)).toEqual([
      { topic: 'spBv1.0/g/NBIRTH/e', qos: 0, seq: 0, bdSeq: 0 },
      { topic: 'spBv1.0/g/DBIRTH/e/svc', qos: 0, seq: 1, bdSeq: undefined },
    ]);
    expect(r.last().subscribed).toEqual(['spBv1.0/g/NCMD/e', 'spBv1.0/g/DCMD/e/+']);
  });

  it('the next start after a crash takes the stored bdSeq + 1, and 255 wraps to 0', async () => {
    const a = rig({ stored: 7 });
    await a.node.start();
    expect(a.willBdSeq(a.last())).toBe(8);
    const b = rig({ stored: 255 });
    await b.node.start();
    expect(b.willBdSeq(b.last())).toBe(0);
  });

  it('every message after the NBIRTH is one seq further, 255 wrapping to 0', async () => {
    const r = rig();
    await r.node.start();
    for (let i = 0; i < 300; i++) r.node.publishDeviceData('svc', [{ name: 'Status', type: 'String', value: `s${i}`, timestamp: 1, withType: false }]);
    // Handed to the client a slice at a time: all of it once the client took the earlier slices.
    expect(r.last().sent.length).toBeLessThan(302);
    await settle();
    const seqs = r.last().sent.map((s) => s.seq);
    expect(seqs).toHaveLength(302);
    seqs.forEach((seq, i) => expect(seq).toBe(i % 256));
  });

  it('each connection attempt is a new bdSeq, each remembered before it is tried', async () => {
    const r = rig({ failConnects: 2 });
    await r.node.start();
    expect(r.connections).toHaveLength(0);
    r.clock.advance(500);
    await settle();
    r.clock.advance(1000);
    await settle();
    expect(r.remembered).toEqual([0, 1, 2]);
    expect(r.willBdSeq(r.last())).toBe(2);
  });

  it('with a primary host: subscribes to its STATE and births only on online; nothing is published before', async () => {
    const r = rig({ primaryHostId: 'h' });
    await r.node.start();
    expect(r.last().subscribed).toContain('spBv1.0/STATE/h');
    r.node.publishDeviceData('svc', [{ name: 'Status', type: 'String', value: 'x', timestamp: 1 }]);
    expect(r.last().sent).toEqual([]);
    r.last().deliver('spBv1.0/STATE/h', state(true, 100));
    await settle();
    expect(r.last().sent.map((s) => s.topic)).toEqual(['spBv1.0/g/NBIRTH/e', 'spBv1.0/g/DBIRTH/e/svc']);
  });

  it('host offline (same or newer timestamp): NDEATH at QoS 1 with the bdSeq, disconnect, a new session bdSeq + 1 waiting for online', async () => {
    const r = rig({ primaryHostId: 'h' });
    await r.node.start();
    const first = r.last();
    first.deliver('spBv1.0/STATE/h', state(true, 100));
    await settle();
    first.deliver('spBv1.0/STATE/h', state(false, 90));
    await settle();
    expect(first.ended).toBeUndefined();
    first.deliver('spBv1.0/STATE/h', state(false, 100));
    await settle();
    expect(first.sent.at(-1)).toEqual({ topic: 'spBv1.0/g/NDEATH/e', qos: 1, seq: undefined, bdSeq: 0 });
    expect(first.ended).toEqual({ withWill: false });
    const second = r.last();
    expect(second).not.toBe(first);
    expect(r.willBdSeq(second)).toBe(1);
    second.deliver('spBv1.0/STATE/h', state(false, 100)); // the retained copy again: nothing
    await settle();
    expect(second.sent).toEqual([]);
    second.deliver('spBv1.0/STATE/h', state(true, 200));
    await settle();
    expect(second.sent[0]).toEqual({ topic: 'spBv1.0/g/NBIRTH/e', qos: 0, seq: 0, bdSeq: 1 });
  });

  it('NCMD Node Control/Rebirth: NBIRTH again, same bdSeq, seq from 0', async () => {
    const r = rig();
    await r.node.start();
    r.node.publishDeviceData('svc', [{ name: 'Status', type: 'String', value: 'x', timestamp: 1 }]);
    r.last().deliver('spBv1.0/g/NCMD/e', encodePayload({ timestamp: 1, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true, timestamp: 1 }] }));
    await settle();
    expect(r.last().sent.slice(3)).toEqual([
      { topic: 'spBv1.0/g/NBIRTH/e', qos: 0, seq: 0, bdSeq: 0 },
      { topic: 'spBv1.0/g/DBIRTH/e/svc', qos: 0, seq: 1, bdSeq: undefined },
    ]);
  });

  it('a lost connection: a new session with bdSeq + 1 after the back-off', async () => {
    const r = rig();
    await r.node.start();
    r.last().drop();
    await settle();
    r.clock.advance(500);
    await settle();
    expect(r.connections).toHaveLength(2);
    expect(r.willBdSeq(r.last())).toBe(1);
    expect(r.last().sent[0]).toMatchObject({ topic: 'spBv1.0/g/NBIRTH/e', bdSeq: 1 });
  });

  it('stop: NDEATH then DISCONNECT on 3.1.1; DISCONNECT with the will (0x04) on MQTT 5', async () => {
    const a = rig();
    await a.node.start();
    await a.node.stop();
    expect(a.last().sent.at(-1)).toEqual({ topic: 'spBv1.0/g/NDEATH/e', qos: 1, seq: undefined, bdSeq: 0 });
    expect(a.last().ended).toEqual({ withWill: false });
    const b = rig({ v5: true });
    await b.node.start();
    await b.node.stop();
    expect(b.last().sent.map((s) => s.topic)).not.toContain('spBv1.0/g/NDEATH/e');
    expect(b.last().ended).toEqual({ withWill: true });
  });
});

const REBIRTH_NCMD = encodePayload({ timestamp: 1, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true, timestamp: 1 }] });

describe('EdgeNode rebirths on request, paced (rebirth-pacing.ts)', () => {
  const nbirths = (c: MemoryConnection): number => c.sent.filter((m) => m.topic === 'spBv1.0/g/NBIRTH/e').length;
  const ask = (c: MemoryConnection, times = 1): void => {
    for (let i = 0; i < times; i++) c.deliver('spBv1.0/g/NCMD/e', REBIRTH_NCMD);
  };

  it('the first request is answered at once; a burst within the interval is merged into one rebirth when it is over', async () => {
    const r = rig({ rebirthMinIntervalMs: 1_000 });
    await r.node.start();
    expect(nbirths(r.last())).toBe(1);
    ask(r.last());
    await settle();
    expect(nbirths(r.last())).toBe(2);
    r.clock.advance(100);
    ask(r.last(), 50);
    await settle();
    r.clock.advance(899);
    await settle();
    expect(nbirths(r.last())).toBe(2);
    r.clock.advance(1);
    await settle();
    expect(nbirths(r.last())).toBe(3);
    // Nothing was asked since: no more births, however long.
    r.clock.advance(10_000);
    await settle();
    expect(nbirths(r.last())).toBe(3);
    // The births stay whole: every NBIRTH is followed by the DBIRTH, seq 0 then 1.
    const topics = r.last().sent.map((m) => `${m.topic.split('/')[2]}:${m.seq}`);
    expect(topics).toEqual(['NBIRTH:0', 'DBIRTH:1', 'NBIRTH:0', 'DBIRTH:1', 'NBIRTH:0', 'DBIRTH:1']);
  });

  it('a request while a rebirth is being published gets one more rebirth after it (interval 0), never none', async () => {
    const r = rig({ rebirthMinIntervalMs: 0 });
    await r.node.start();
    let asked = 0;
    r.last().onPublish = (topic) => {
      // Three requests in the middle of the first rebirth (after its NBIRTH went out, before its DBIRTH).
      if (topic.endsWith('/NBIRTH/e') && asked++ === 0) ask(r.last(), 3);
    };
    ask(r.last());
    for (let i = 0; i < 5; i++) await settle();
    expect(nbirths(r.last())).toBe(3);
  });

  it('a session birth after a request answers it: the deferred rebirth is not sent again', async () => {
    const r = rig({ rebirthMinIntervalMs: 5_000 });
    await r.node.start();
    ask(r.last());
    await settle();
    ask(r.last());
    // The connection drops before the deferred rebirth: the next session's births (500 ms back-off) answer it.
    r.last().drop();
    await settle();
    r.clock.advance(500);
    await settle();
    expect(r.connections).toHaveLength(2);
    expect(nbirths(r.last())).toBe(1);
    r.clock.advance(10_000);
    await settle();
    expect(nbirths(r.last())).toBe(1);
  });

  it('requests before the primary host is online are answered by the session\'s birth, which does not count toward the interval', async () => {
    const r = rig({ primaryHostId: 'h', rebirthMinIntervalMs: 5_000 });
    await r.node.start();
    ask(r.last(), 3);
    await settle();
    expect(r.last().sent).toEqual([]);
    r.last().deliver('spBv1.0/STATE/h', state(true, 100));
    await settle();
    expect(nbirths(r.last())).toBe(1);
    // The first request after it is answered at once, not deferred behind the session's birth (or the requests'
    // skipped rebirth before it); and nothing more follows.
    ask(r.last());
    await settle();
    expect(nbirths(r.last())).toBe(2);
    r.clock.advance(10_000);
    await settle();
    expect(nbirths(r.last())).toBe(2);
  });

  it('a request that a session birth queued before its rebirth answers gets no second birth', async () => {
    const r = rig({ primaryHostId: 'h', rebirthMinIntervalMs: 0 });
    await r.node.start();
    // The host comes online and asks at once: its births are queued first, the rebirth finds the request answered.
    r.last().deliver('spBv1.0/STATE/h', state(true, 100));
    ask(r.last());
    for (let i = 0; i < 3; i++) await settle();
    expect(nbirths(r.last())).toBe(1);
  });

  it('a stop drops a deferred rebirth', async () => {
    const r = rig({ rebirthMinIntervalMs: 1_000 });
    await r.node.start();
    ask(r.last(), 2);
    await settle();
    ask(r.last());
    await r.node.stop();
    const sent = r.last().sent.length;
    r.clock.advance(5_000);
    await settle();
    expect(r.last().sent.length).toBe(sent);
  });
});
