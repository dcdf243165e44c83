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
  clock: Clock;
  log: Logger;
}

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;
const BDSEQ_MODULO = 256;
const REBIRTH = 'Node Control/Rebirth';

interface Session {
  connection: EdgeConnection;
  bdSeq: number;
  seq: number;
  born: boolean;
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

  constructor(private readonly o: EdgeNodeOptions) {}

  /** Resolves once the first connection attempt has been made (whether it succeeded or not). */
  async start(): Promise<void> {
    const last = await this.o.memory.recall();
    this.nextBdSeq = last === undefined ? 0 : (last + 1) % BDSEQ_MODULO;
    await this.enqueue(() => this.open());
  }

  get online(): boolean {
    return this.session?.born === true;
  }

  publishNodeData(metrics: OutMetric[]): void {
    if (metrics.length) this.send((s) => [this.o.topics.ndata, metrics, s]);
  }

  publishDeviceBirth(device: string, metrics: OutMetric[]): void {
    this.send((s) => [this.o.topics.dbirth(device), metrics, s]);
  }

  publishDeviceData(device: string, metrics: OutMetric[]): void {
    if (metrics.length) this.send((s) => [this.o.topics.ddata(device), metrics, s]);
  }

  publishDeviceDeath(device: string): void {
    this.send((s) => [this.o.topics.ddeath(device), [], s]);
  }

  /** NBIRTH and every DBIRTH again, same bdSeq, seq from 0 (NCMD Node Control/Rebirth). */
  rebirth(): Promise<void> {
    return this.enqueue(async () => {
      if (this.session?.born) await this.birth(this.session);
    });
  }

  /** Graceful stop: the host learns at once (NDEATH on 3.1.1, DISCONNECT 0x04 on MQTT 5). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRetry?.();
    await this.enqueue(async () => {
      const s = this.session;
      this.session = undefined;
      if (!s) return;
      if (s.connection.v5) return s.connection.end(true);
      await s.connection.publish(this.o.topics.ndeath, this.ndeath(s.bdSeq), 1).catch(() => undefined);
      await s.connection.end(false);
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step).catch((err: unknown) => this.o.log.warn({ err }, 'sparkplug session step failed'));
    this.queue = run;
    return run;
  }

  /** Sends a DATA/DBIRTH/DDEATH in the current session, if it has been born; else the next births carry it. */
  private send(message: (s: Session) => [string, OutMetric[], Session]): void {
    const s = this.session;
    if (!s?.born) return;
    const [topic, metrics] = message(s);
    const payload = encodePayload({ timestamp: this.o.clock.now(), seq: this.nextSeq(s), metrics });
    s.connection.publish(topic, payload, 0).catch((err: Error) => this.o.log.debug({ err: err.message, topic }, 'sparkplug publish failed'));
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
    const s: Session = { connection, bdSeq, seq: 0, born: false };
    this.session = s;
    connection.onLost((reason) => this.enqueue(async () => this.lost(s, reason)));
    connection.onMessage((topic, payload) => this.receive(s, topic, payload));
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
    const { node, devices } = this.o.births();
    const now = this.o.clock.now();
    s.seq = 0;
    const nodeMetrics = node.map((m) => (m.name === 'bdSeq' ? { ...m, value: s.bdSeq } : m));
    // Handed to the client in one synchronous run, so no DATA can slip between the NBIRTH and the DBIRTHs.
    const sent = [s.connection.publish(this.o.topics.nbirth, encodePayload({ timestamp: now, seq: 0, metrics: nodeMetrics }), 0)];
    for (const [device, metrics] of devices) {
      sent.push(s.connection.publish(this.o.topics.dbirth(device), encodePayload({ timestamp: now, seq: this.nextSeq(s), metrics }), 0));
    }
    s.born = true;
    await Promise.all(sent);
    this.o.log.info({ bdSeq: s.bdSeq, devices: devices.length }, 'sparkplug births published');
  }

  private receive(s: Session, topic: string, payload: Buffer): void {
    if (this.session !== s) return;
    const inbound = this.o.topics.parse(topic);
    if (inbound.kind === 'STATE') return this.hostState(s, payload);
    if (inbound.kind === 'other') return;
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
      void this.rebirth();
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
    await s.connection.publish(this.o.topics.ndeath, this.ndeath(s.bdSeq), 1).catch(() => undefined);
    await s.connection.end(false);
    await this.open();
  }
}
