// Persist, then publish: level decisions are written to the store (with the state they came from) before
// their events go on the bus. After a crash the store holds the effective level of every published event,
// so a restarted agent neither repeats an event nor misses one whose deadline passed while it was down.
// One write at a time, in order; decisions made during a write wait for the next. A checkpoint's bulk
// (heartbeat times that changed no level) goes out in small batches between decision writes.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus, TrustEvent } from '../events.js';
import { DecisionQueue, type Decision } from './decision-queue.js';
import type { DeviceTable } from './device-table.js';
import { D_FLAGS, type DirtyChunks } from './dirty-chunks.js';
import type { PluginTable } from './plugin-table.js';
import type { TrustCheckpoint } from './trust-checkpoint.js';

/** Chunks per batch: keeps each LevelDB write (and its memory) small, about 3 MB at most. */
const GROUP = 16;
/** Events published between two turns of the event loop. */
const PUBLISH_SLICE = 10_000;

export interface PublisherDeps {
  checkpoint: TrustCheckpoint;
  table: DeviceTable;
  plugins: PluginTable;
  dirty: DirtyChunks;
  events: EventBus;
  clock: Clock;
  log: Logger;
}

export class DecisionPublisher {
  /** Decisions made since the last write started. */
  decisions = new DecisionQueue();
  readonly reregisters: Array<{ plugin: string; at: number }> = [];
  /** Devices whose properties changed (written with the next write). */
  readonly dirtyProps = new Set<number>();
  private spare = new DecisionQueue();
  private running: Promise<void> | undefined;
  private wanted = false;
  private wantFull = false;
  private failing = false;
  private lazyTimes = false;

  constructor(private readonly deps: PublisherDeps) {}

  get pending(): boolean {
    return this.decisions.length > 0 || this.reregisters.length > 0;
  }

  /**
   * Writes what is dirty and then publishes what was decided. With `full` (a checkpoint), also writes
   * every heartbeat time that changed no level, in small batches between later flushes.
   */
  request(full: boolean): Promise<void> {
    this.wanted = true;
    this.wantFull ||= full;
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      try {
        if (this.wanted) {
          const full = this.wantFull;
          this.wanted = false;
          this.wantFull = false;
          await this.flush(full);
          if (full) this.lazyTimes = true;
        } else if (this.lazyTimes) {
          this.lazyTimes = await this.writeLazyTimes();
        } else {
          return;
        }
      } catch (err) {
        this.deps.log.error({ err }, 'trust state write failed unexpectedly');
      }
    }
  }

  private async flush(full: boolean): Promise<void> {
    const { checkpoint, table, plugins, dirty, log } = this.deps;
    // Up to the first await everything is synchronous: the closing write matches the decisions taken here.
    const taken = dirty.take(full);
    const props = [...this.dirtyProps];
    this.dirtyProps.clear();
    const closing = checkpoint.closingOps(table, plugins, taken, props, this.deps.clock.now());
    const decided = this.decisions;
    this.decisions = this.spare;
    const reregisters = this.reregisters.splice(0);
    try {
      const chunks = taken.filter((c) => c.fields & ~D_FLAGS);
      for (let k = 0; k < chunks.length; k += GROUP) await checkpoint.write(checkpoint.chunkOps(table, chunks.slice(k, k + GROUP)));
      await checkpoint.write(closing);
      if (this.failing) log.info('trust state written to the store again');
      this.failing = false;
    } catch (err) {
      // Keep the state dirty for the next try, but publish anyway: a live event beats a perfect record.
      dirty.restore(taken);
      for (const p of props) this.dirtyProps.add(p);
      if (!this.failing) log.error({ err }, 'cannot write trust state to the store; events are published without it');
      this.failing = true;
    }
    await this.publish(decided, reregisters);
    decided.clear();
    this.spare = decided;
  }

  /** One small batch of lazily changed times; false when there were none left. */
  private async writeLazyTimes(): Promise<boolean> {
    const { checkpoint, table, dirty } = this.deps;
    const group = dirty.takeLazyTimes(GROUP);
    if (group.length === 0) return false;
    try {
      await checkpoint.write(checkpoint.chunkOps(table, group));
    } catch {
      dirty.restoreLazy(group);
      return false; // the next checkpoint tries again; the failure is logged by the next flush
    }
    return true;
  }

  private async publish(decided: DecisionQueue, reregisters: Array<{ plugin: string; at: number }>): Promise<void> {
    const { events, table } = this.deps;
    const d: Decision = { index: 0, reason: 'HEARTBEAT', complete: false, at: 0 };
    for (let k = 0; k < decided.length; k++) {
      // A plugin sweep can publish a million events: let the fronts' sockets and timers breathe.
      if (k > 0 && k % PUBLISH_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
      decided.read(k, d);
      const event: TrustEvent = {
        kind: 'trust',
        deviceId: table.ids[d.index],
        from: d.complete ? 'NONE' : 'COMPLETE',
        to: d.complete ? 'COMPLETE' : 'NONE',
        reason: d.reason,
        at: d.at,
      };
      events.emit(event);
    }
    for (const { plugin, at } of reregisters) events.emit({ kind: 'plugin-reregister', plugin, at });
  }
}
