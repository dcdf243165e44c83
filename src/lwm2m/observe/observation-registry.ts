// Active observations: change sweeps (one read per object per sweep), pmin delays and pmax deadlines.
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { ContentCodec } from '../content/content-formats.js';
import { formatPath, startsWith, type Lwm2mPath } from '../content/node.js';
import type { ObjectTree, ReadCache } from '../object-tree.js';
import type { Ask } from '../objects/object-source.js';
import type { ObserveChannel } from '../transport/observe-channel.js';
import type { AttributeStore } from './attribute-store.js';
import { DeadlineHeap } from '../../timing/deadline-heap.js';
import { decide, pmaxMs } from './notification-policy.js';

export interface Observation {
  /** Token and peer: an Observe with the same token replaces the earlier one. */
  key: string;
  path: Lwm2mPath;
  codec: ContentCodec;
  channel: ObserveChannel;
  lastSentAt: number;
  lastPayload: Buffer;
  lastNumber?: number;
}

export interface ObservationDeps {
  tree: ObjectTree;
  ask: Ask;
  attributes: AttributeStore;
  clock: Clock;
  log: Logger;
  coalesceMs: number;
  /** Observations kept at once (each holds a stream and the coap package's state for it). */
  max: number;
}

export class ObservationRegistry {
  private readonly byKey = new Map<string, Observation>();
  private readonly dirty = new Set<string>();
  private readonly deadlines: DeadlineHeap;
  private sweepScheduled = false;
  private sweeping?: Promise<void>;
  /** Notifications sent since start (benchmarks and logs). */
  sent = 0;

  constructor(private readonly deps: ObservationDeps) {
    this.deadlines = new DeadlineHeap(deps.clock, (k) => this.onDeadline(k));
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Whether an Observe with this key would pass the cap (one replacing its own key always fits). */
  accepts(key: string): boolean {
    return this.byKey.size < this.deps.max || this.byKey.has(key);
  }

  add(obs: Observation): void {
    this.byKey.get(obs.key)?.channel.close();
    this.byKey.set(obs.key, obs);
    obs.channel.onClose(() => {
      if (this.byKey.get(obs.key) === obs) this.remove(obs.key);
    });
    this.schedulePmax(obs);
  }

  /** What the observation of `path` by this token (or else by this peer) last sent. */
  lastSent(key: string, path: Lwm2mPath, peer: string): { payload: Buffer; format: number; sequence: number } | undefined {
    const same = (o: Observation): boolean => o.path.length === path.length && startsWith(o.path, path);
    const byToken = this.byKey.get(key);
    const obs = byToken && same(byToken) ? byToken : [...this.byKey.values()].find((o) => o.key.endsWith(`@${peer}`) && same(o));
    return obs && { payload: obs.lastPayload, format: obs.codec.format, sequence: obs.channel.sequence };
  }

  /** Attributes on `path` changed: observations at or under it take their new pmax at once. */
  attributesChanged(path: Lwm2mPath): void {
    for (const obs of this.byKey.values()) if (startsWith(obs.path, path)) this.schedulePmax(obs);
  }

  /** Cancel by token and peer (GET with Observe 1, or a RST the coap package turned into a close). */
  cancel(key: string): boolean {
    const obs = this.byKey.get(key);
    if (!obs) return false;
    this.remove(key);
    obs.channel.close();
    return true;
  }

  cancelAll(): void {
    for (const key of [...this.byKey.keys()]) this.cancel(key);
    this.deadlines.clear();
  }

  /** Something under or above `affected` changed: re-read the observations it touches. */
  changed(affected: Lwm2mPath): void {
    for (const obs of this.byKey.values()) {
      if (startsWith(obs.path, affected) || startsWith(affected, obs.path)) this.dirty.add(obs.key);
    }
    if (this.dirty.size > 0) this.scheduleSweep();
  }

  /** Resolves when no sweep is pending or running (tests and shutdown). */
  async settled(): Promise<void> {
    while (this.sweeping || this.sweepScheduled) await (this.sweeping ?? new Promise((r) => setImmediate(r)));
  }

  private remove(key: string): void {
    this.byKey.delete(key);
    this.dirty.delete(key);
    this.deadlines.cancel(`${key}|pmin`);
    this.deadlines.cancel(`${key}|pmax`);
  }

  private scheduleSweep(): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    this.deps.clock.setTimeout(() => {
      this.sweepScheduled = false;
      void this.sweep();
    }, this.deps.coalesceMs);
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) {
      await this.sweeping;
      if (this.dirty.size > 0) this.scheduleSweep();
      return;
    }
    this.sweeping = (async () => {
      const keys = [...this.dirty];
      this.dirty.clear();
      const cache: ReadCache = new Map();
      await Promise.all(keys.map((k) => this.evaluate(k, false, cache)));
    })();
    try {
      await this.sweeping;
    } finally {
      this.sweeping = undefined;
    }
  }

  private onDeadline(deadlineKey: string): void {
    const cut = deadlineKey.lastIndexOf('|');
    const key = deadlineKey.slice(0, cut);
    void this.evaluate(key, deadlineKey.slice(cut + 1) === 'pmax', new Map());
  }

  private async evaluate(key: string, pmaxDue: boolean, cache: ReadCache): Promise<void> {
    const obs = this.byKey.get(key);
    if (!obs) return;
    let payload: Buffer;
    let number: number | undefined;
    try {
      const records = await this.deps.tree.read(this.deps.ask, obs.path, cache);
      payload = obs.codec.encode(obs.path, records);
      const only = records.length === 1 ? records[0]!.value : undefined;
      number = typeof only === 'number' ? only : undefined;
    } catch (err) {
      // The observed path went away (a deleted instance) or cannot be read any more: end the observation.
      this.deps.log.info({ path: formatPath(obs.path), err: (err as Error).message }, 'observation ended');
      this.cancel(key);
      return;
    }
    if (this.byKey.get(key) !== obs) return;
    const attrs = this.deps.attributes.effective(obs.path);
    const now = this.deps.clock.now();
    const d = decide(attrs, {
      changed: !payload.equals(obs.lastPayload),
      prevNumber: obs.lastNumber,
      nextNumber: number,
      sinceLastMs: now - obs.lastSentAt,
      pmaxDue,
    });
    if (d.action === 'wait') this.deadlines.schedule(`${key}|pmin`, now + d.ms);
    if (d.action !== 'send') return;
    obs.channel.notify(payload, obs.codec.format);
    this.sent++;
    obs.lastSentAt = now;
    obs.lastPayload = payload;
    obs.lastNumber = number;
    this.deadlines.cancel(`${key}|pmin`);
    this.schedulePmax(obs);
  }

  private schedulePmax(obs: Observation): void {
    const ms = pmaxMs(this.deps.attributes.effective(obs.path));
    if (ms === undefined) this.deadlines.cancel(`${obs.key}|pmax`);
    else this.deadlines.schedule(`${obs.key}|pmax`, obs.lastSentAt + ms);
  }
}
