// Persist, then publish: level decisions and their outbox records (the events, with their ids) are written
// in one synced batch before the events go on the bus; the broker's acknowledgement removes them from the
// outbox (trust-outbox.ts). After a crash the store holds the level of every event ever published, and every
// event not yet acknowledged is sent again with the same id: none lost, none decided twice.
// One write at a time, in order; decisions made during a write wait for the next.
//
// What each kind of flush writes (issue 14: writes follow changes, not heartbeats):
// - decisions: the chunks the decisions touched, the outbox records, the meta record; synced.
// - checkpoint (every checkpointIntervalMs): the same if anything is dirty, plus one beat mark (a bit per
//   device that beat since the last one; beat-marks.ts) and lazily changed flags; heartbeat times themselves
//   are not rewritten.
// - close: everything, exact times of every device included, and the marks are dropped.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus, TrustEvent } from '../events.js';
import type { BeatMarks } from './beat-marks.js';
import { DecisionQueue, type Decision } from './decision-queue.js';
import type { DeviceTable } from './device-table.js';
import { D_FLAGS, type DirtyChunks } from './dirty-chunks.js';
import type { PluginTable } from './plugin-table.js';
import type { TrustCheckpoint } from './trust-checkpoint.js';
import type { TrustOutbox } from './trust-outbox.js';

/** Chunks per batch: keeps each LevelDB write (and its memory) small, about 3 MB at most. */
const GROUP = 16;
/** Events published between two turns of the event loop. */
const PUBLISH_SLICE = 10_000;

export type FlushKind = 'decisions' | 'checkpoint' | 'close';
const STRENGTH: Record<FlushKind, number> = { decisions: 0, checkpoint: 1, close: 2 };

export interface PublisherDeps {
  checkpoint: TrustCheckpoint;
  table: DeviceTable;
  plugins: PluginTable;
  dirty: DirtyChunks;
  marks: BeatMarks;
  outbox: TrustOutbox;
  events: EventBus;
  clock: Clock;
  log: Logger;
  /** How long a beat mark is kept: the heartbeat timeout and a little. */
  keepMarksMs: number;
}

export class DecisionPublisher {
  /** Decisions made since the last write started. */
  decisions = new DecisionQueue();
  readonly reregisters: Array<{ plugin: string; at: number }> = [];
  /** Devices whose properties changed (written with the next write). */
  readonly dirtyProps = new Set<number>();
  private spare = new DecisionQueue();
  private running: Promise<void> | undefined;
  private wanted: FlushKind | undefined;
  private failing = false;
  private resending = false;

  constructor(private readonly deps: PublisherDeps) {}

  get pending(): boolean {
    return this.decisions.length > 0 || this.reregisters.length > 0;
  }

  /** Writes what is dirty (as `kind` says) and then publishes what was decided; resolves once done. */
  request(kind: FlushKind): Promise<void> {
    if (this.wanted === undefined || STRENGTH[kind] > STRENGTH[this.wanted]) this.wanted = kind;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Publishes again the outbox's events not acknowledged and sent before `olderThan` (Infinity: all). */
  async resend(olderThan: number): Promise<void> {
    if (this.resending) return;
    this.resending = true;
    try {
      const d: Decision = { index: 0, reason: 'HEARTBEAT', complete: false, at: 0 };
      let sent = 0;
      for (const r of this.deps.outbox.unacknowledged(olderThan)) {
        r.sentAt = this.deps.clock.now();
        for (let k = 0; k < r.index.length; k++) {
          if (r.acked[k] === 1) continue;
          if (++sent % PUBLISH_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
          this.emit(DecisionQueue.readRow(r.code[k], r.index[k], r.at[k], d), r.first + k);
        }
      }
      if (sent > 0) this.deps.log.info({ events: sent }, 'trust events not acknowledged by the broker published again (same ids)');
    } finally {
      this.resending = false;
    }
  }

  private async loop(): Promise<void> {
    while (this.wanted !== undefined) {
      const kind = this.wanted;
      this.wanted = undefined;
      try {
        await this.flush(kind);
      } catch (err) {
        this.deps.log.error({ err }, 'trust state write failed unexpectedly');
      }
    }
  }

  private async flush(kind: FlushKind): Promise<void> {
    const { checkpoint, table, plugins, dirty, marks, outbox, log } = this.deps;
    const now = this.deps.clock.now();
    // Up to the first await everything is synchronous: the closing write matches the decisions taken here.
    const taken = dirty.take(kind !== 'decisions', kind === 'close' ? table.size : 0);
    const props = [...this.dirtyProps];
    this.dirtyProps.clear();
    const decided = this.decisions;
    this.decisions = this.spare;
    const reregisters = this.reregisters.splice(0);
    const staged = decided.length > 0 ? outbox.stage(decided) : undefined;
    const mark = kind === 'checkpoint' ? marks.take(table.size, now, this.deps.keepMarksMs) : { ops: kind === 'close' ? marks.clearAll() : [] };
    const changed = taken.length > 0 || props.length > 0 || staged !== undefined || kind === 'close';
    if (changed || mark.ops.length > 0) {
      const closing = changed ? checkpoint.closingOps(table, plugins, taken, props, now, outbox.state) : [];
      closing.push(...(staged?.ops ?? []), ...mark.ops);
      try {
        const chunks = taken.filter((c) => c.fields & ~D_FLAGS);
        for (let k = 0; k < chunks.length; k += GROUP) await checkpoint.write(checkpoint.chunkOps(table, chunks.slice(k, k + GROUP)));
        // Synced when it carries events: a power cut must not take back a level whose event went out.
        await checkpoint.write(closing, { sync: staged !== undefined || kind === 'close' });
        if (staged) outbox.commit(staged.records, now);
        if (this.failing) log.info('trust state written to the store again');
        this.failing = false;
      } catch (err) {
        // Keep the state dirty for the next try, but publish anyway: a live event beats a perfect record.
        dirty.restore(taken);
        for (const p of props) this.dirtyProps.add(p);
        marks.restore(mark.bits);
        if (!this.failing) log.error({ err }, 'cannot write trust state to the store; events are published without it');
        this.failing = true;
      }
    }
    if (staged) await this.publish(decided, staged.first);
    for (const { plugin, at } of reregisters) this.deps.events.emit({ kind: 'plugin-reregister', plugin, at });
    decided.clear();
    this.spare = decided;
  }

  private async publish(decided: DecisionQueue, first: number): Promise<void> {
    const d: Decision = { index: 0, reason: 'HEARTBEAT', complete: false, at: 0 };
    for (let k = 0; k < decided.length; k++) {
      // A plugin sweep can publish a million events: let the fronts' sockets and timers breathe.
      if (k > 0 && k % PUBLISH_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      this.emit(decided.read(k, d), first + k);
    }
  }

  private emit(d: Decision, seq: number): void {
    const { table, outbox, events } = this.deps;
    if (d.index >= table.size) return;
    const event: TrustEvent = {
      kind: 'trust',
      id: outbox.idOf(seq),
      deviceId: table.ids[d.index],
      from: d.complete ? 'NONE' : 'COMPLETE',
      to: d.complete ? 'COMPLETE' : 'NONE',
      reason: d.reason,
      at: d.at,
    };
    events.emit(event);
  }
}
