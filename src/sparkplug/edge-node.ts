// The Sparkplug session rules of an edge node (specification 3.0, chapter 5): bdSeq per connection, kept
// before CONNECT so that after a crash the next will carries the next number; NBIRTH (seq 0) then the
// DBIRTHs, and every later message one seq further, mod 256; births only once the primary host says it
// is online; its going offline ends the session (NDEATH, disconnect) and the next one waits for it again.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ConnectionOptions, EdgeConnection } from './edge-connection.js';
import { HostStateWatch } from './host-state.js';
import { decodePayload, encodePayload, type InPayload, type OutMetric } from './payload.js';
import { SparkplugTopics } from './topics.js';
import type { BadInputLog } from './bad-input-log.js';
import { DEFAULT_REBIRTH_MIN_INTERVAL_MS, RebirthPacing } from './rebirth-pacing.js';

/** The last bdSeq used, kept where a crash cannot lose it (the store, through the composition root). */
export interface BdSeqMemory {
  recall(): Promise<number | undefined>;
  remember(bdSeq: number): Promise<void>;
}

/** What the births say: every metric the session will publish, with current values. */
export interface BirthContent {
  node: OutMetric[];
  devices: Array<[string, OutMetric[]]>;
}

export interface EdgeNodeOptions {
  topics: SparkplugTopics;
  connection: Omit<ConnectionOptions, 'will'>;
  open: (o: ConnectionOptions) => Promise<EdgeConnection>;
  primaryHostId?: string;
  memory: BdSeqMemory;
  births: () => BirthContent;
  /** A decoded NCMD (Node Control/Rebirth is handled here) or DCMD. */
  onNodeCommand: (payload: InPayload) => void;
  onDeviceCommand: (device: string, payload: InPayload) => void;
  badInput: BadInputLog;
  /** `sparkplug.rebirthMinIntervalMs`: rebirths on request at most this often, requests between merged (rebirth-pacing.ts). */
  rebirthMinIntervalMs?: number;
  clock: Clock;
  log: Logger;
}

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;
const BDSEQ_MODULO = 256;
/** Below Node's 1000-listener warning, above any ordinary burst. */
const PUBLISH_SLICE = 256;
const REBIRTH = 'Node Control/Rebirth';
/** An NCMD or DCMD carries a few metrics; MQTT 3.1.1 lets a broker pass up to 256 MB, which is not read. */
const MAX_COMMAND_BYTES = 65_536;

interface Session {
  connection: EdgeConnection;
  bdSeq: number;
  seq: number;
  born: boolean;
  /** Messages in seq order, handed to the client a slice at a time (see pump). */
  outbox: Array<{ topic: string; payload: Buffer; qos: 0 | 1 }>;
  /** While a pump runs, and the promise it settles when the outbox is empty. */
  pumping: boolean;
  drained: Promise<void>;
}

export class EdgeNode {
  private session?: Session;
  private nextBdSeq = 0;
  private attempt = 0;
  private cancelRetry?: () => void;
  private stopped = false;
  private readonly host = new HostStateWatch();
  /** Serialises session changes (open, end) and births, so no message of an old session follows a new NBIRTH. */
  private queue: Promise<void> = Promise.resolve();
  private readonly pacing: RebirthPacing;

  constructor(private readonly o: EdgeNodeOptions) {
    this.pacing = new RebirthPacing({ minIntervalMs: o.rebirthMinIntervalMs ?? DEFAULT_REBIRTH_MIN_INTERVAL_MS, clock: o.clock, rebirth: () => this.rebirth(), log: o.log });
  }

  /** Resolves once the first connection attempt has been made (whether it succeeded or not). */
  async start(): Promise<void> {
    const last = await this.o.memory.recall();
    this.nextBdSeq = last === undefined ? 0 : (last + 1) % BDSEQ_MODULO;
    await this.enqueue(() => this.open());
  }

  publishNodeData(metrics: OutMetric[]): void {
    if (metrics.length) this.send(this.o.topics.ndata, metrics);
  }

  publishDeviceBirth(device: string, metrics: OutMetric[]): void {
    this.send(this.o.topics.dbirth(device), metrics);
  }

  publishDeviceData(device: string, metrics: OutMetric[]): void {
    if (metrics.length) this.send(this.o.topics.ddata(device), metrics);
  }

  publishDeviceDeath(device: string): void {
    this.send(this.o.topics.ddeath(device), []);
  }

  /** NBIRTH and every DBIRTH again, same bdSeq, seq from 0 (an NCMD Node Control/Rebirth, once its pacing lets it). */
  private rebirth(): Promise<void> {
    return this.enqueue(async () => {
      if (this.session?.born && this.pacing.waiting()) await this.birth(this.session);
    });
  }

  /** Graceful stop: the host learns at once (NDEATH on 3.1.1, DISCONNECT 0x04 on MQTT 5). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRetry?.();
    this.pacing.stop();
    await this.enqueue(async () => {
      const s = this.session;
      this.session = undefined;
      if (!s) return;
      if (s.connection.v5) {
        if (s.pumping) await s.drained;
        return s.connection.end(true);
      }
      await this.post(s, this.o.topics.ndeath, this.ndeath(s.bdSeq), 1);
      await s.connection.end(false);
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step).catch((err: unknown) => this.o.log.warn({ err }, 'sparkplug session step failed'));
    this.queue = run;
    return run;
  }

  /** Sends a DATA/DBIRTH/DDEATH in the current session, if it has been born; else the next births carry it. */
  private send(topic: string, metrics: OutMetric[]): void {
    const s = this.session;
    if (!s?.born) return;
    void this.post(s, topic, encodePayload({ timestamp: this.o.clock.now(), seq: this.nextSeq(s), metrics }), 0);
  }

  /** Queues a message behind those before it (its seq is already fixed); resolves once the outbox is empty. */
  private post(s: Session, topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    s.outbox.push({ topic, payload, qos });
    if (!s.pumping) {
      s.pumping = true;
      s.drained = this.pump(s);
    }
    return s.drained;
  }

  /**
   * Hands the outbox to the client PUBLISH_SLICE messages at a time, each slice once the one before is
   * written: 10 000 DBIRTHs would otherwise sit as 10 000 writes (and 'drain' listeners) on one socket.
   */
  private async pump(s: Session): Promise<void> {
    try {
      while (s.outbox.length) {
        const slice = s.outbox.splice(0, PUBLISH_SLICE);
        await Promise.all(slice.map((m) => s.connection.publish(m.topic, m.payload, m.qos))).catch((err: Error) =>
          this.o.log.debug({ err: err.message }, 'sparkplug publish failed'),
        );
      }
    } finally {
      // Set in the same run as the empty check: a message posted after it starts a new pump.
      s.pumping = false;
    }
  }

  private nextSeq(s: Session): number {
    s.seq = (s.seq + 1) % 256;
    return s.seq;
  }

  private ndeath(bdSeq: number): Buffer {
    return encodePayload({ timestamp: this.o.clock.now(), metrics: [{ name: 'bdSeq', type: 'Int64', value: bdSeq, timestamp: this.o.clock.now() }] });
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const bdSeq = this.nextBdSeq;
    this.nextBdSeq = (bdSeq + 1) % BDSEQ_MODULO;
    // On disk before CONNECT: if the agent dies with this connection, the next start must not reuse it.
    await this.o.memory.remember(bdSeq);
    let connection: EdgeConnection;
    try {
      connection = await this.o.open({ ...this.o.connection, will: { topic: this.o.topics.ndeath, payload: this.ndeath(bdSeq) } });
    } catch (err) {
      if (this.attempt === 0) this.o.log.warn({ url: this.o.connection.url, err: (err as Error).message }, 'sparkplug broker unreachable; retrying');
      this.retry();
      return;
    }
    this.attempt = 0;
    const s: Session = { connection, bdSeq, seq: 0, born: false, outbox: [], pumping: false, drained: Promise.resolve() };
    this.session = s;
    connection.onLost((reason) => this.enqueue(async () => this.lost(s, reason)));
    connection.onMessage((topic, payload, retained) => this.receive(s, topic, payload, retained));
    const filters = [this.o.topics.ncmd, this.o.topics.dcmdFilter];
    if (this.o.primaryHostId) filters.push(SparkplugTopics.state(this.o.primaryHostId));
    await connection.subscribe(filters);
    this.o.log.info({ url: this.o.connection.url, bdSeq, edgeNode: `${this.o.topics.groupId}/${this.o.topics.edgeNodeId}`, primaryHostId: this.o.primaryHostId }, 'sparkplug session open');
    if (!this.o.primaryHostId) await this.birth(s);
  }

  private retry(): void {
    if (this.stopped) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this.attempt++);
    this.cancelRetry = this.o.clock.setTimeout(() => void this.enqueue(() => this.open()), delay);
  }

  private lost(s: Session, reason: string): void {
    if (this.session !== s) return;
    this.session = undefined;
    this.o.log.warn({ reason, bdSeq: s.bdSeq }, 'sparkplug session lost; a new one follows');
    this.retry();
  }

  private async birth(s: Session): Promise<void> {
    this.pacing.birthStarting();
    const { node, devices } = this.o.births();
    const now = this.o.clock.now();
    s.seq = 0;
    const nodeMetrics = node.map((m) => (m.name === 'bdSeq' ? { ...m, value: s.bdSeq } : m));
    // Queued in one synchronous run, so no DATA can slip between the NBIRTH and the DBIRTHs.
    const sent = this.post(s, this.o.topics.nbirth, encodePayload({ timestamp: now, seq: 0, metrics: nodeMetrics }), 0);
    for (const [device, metrics] of devices) void this.post(s, this.o.topics.dbirth(device), encodePayload({ timestamp: now, seq: this.nextSeq(s), metrics }), 0);
    s.born = true;
    await sent;
    this.o.log.info({ bdSeq: s.bdSeq, devices: devices.length }, 'sparkplug births published');
  }

  private receive(s: Session, topic: string, payload: Buffer, retained: boolean): void {
    if (this.session !== s) return;
    const inbound = this.o.topics.parse(topic);
    if (inbound.kind === 'STATE') return this.hostState(s, payload);
    if (inbound.kind === 'other') return;
    // A command is never retained (Sparkplug 3.0): a retained one would be replayed to every new session, a
    // restart (or rebirth) at each reconnect, long after whoever sent it meant it. Only live commands run.
    if (retained) return this.o.badInput.once('retained-command', { topic: topic.slice(0, 256) }, 'sparkplug command replayed from a retained message: ignored');
    if (payload.length > MAX_COMMAND_BYTES) {
      return this.o.badInput.once('too-large', { topic: topic.slice(0, 256), bytes: payload.length }, 'sparkplug command payload too large: ignored');
    }
    let decoded: InPayload;
    try {
      decoded = decodePayload(payload);
    } catch (err) {
      return this.o.badInput.once('undecodable', { topic: topic.slice(0, 256), err: (err as Error).message }, 'sparkplug command payload not decodable: ignored');
    }
    if (inbound.kind === 'DCMD') return this.o.onDeviceCommand(inbound.device, decoded);
    const rebirth = decoded.metrics.find((m) => m.name === REBIRTH);
    if (rebirth) {
      if (rebirth.value !== true) return this.o.badInput.once('rebirth-value', { value: rebirth.value }, `${REBIRTH} without the Boolean true: ignored`);
      this.pacing.request();
    }
    this.o.onNodeCommand({ ...decoded, metrics: decoded.metrics.filter((m) => m.name !== REBIRTH) });
  }

  private hostState(s: Session, payload: Buffer): void {
    const verdict = this.host.judge(payload);
    switch (verdict.kind) {
      case 'bad':
        return this.o.badInput.once('state-bad', { reason: verdict.reason }, 'primary host STATE not understood: ignored');
      case 'older':
        return this.o.badInput.once('state-older', { timestamp: verdict.timestamp, last: verdict.last }, 'primary host STATE older than the last one: ignored');
      case 'online':
        if (!s.born) {
          this.o.log.info({ primaryHostId: this.o.primaryHostId, timestamp: verdict.timestamp }, 'primary host online');
          void this.enqueue(async () => {
            if (this.session === s && !s.born) await this.birth(s);
          });
        }
        return;
      case 'offline':
        if (s.born) {
          this.o.log.warn({ primaryHostId: this.o.primaryHostId, timestamp: verdict.timestamp }, 'primary host offline: NDEATH, disconnect, and a new session waits for it');
          void this.enqueue(() => this.endForHost(s));
        }
        return;
    }
  }

  /** The host went offline: NDEATH, disconnect, and a new session (bdSeq + 1) that waits for it. */
  private async endForHost(s: Session): Promise<void> {
    if (this.session !== s) return;
    this.session = undefined;
    await this.post(s, this.o.topics.ndeath, this.ndeath(s.bdSeq), 1);
    await s.connection.end(false);
    await this.open();
  }
}
