// The sampler (CONTRACT section 15): one timer for all services; each round reads every running service once,
// hands the values to the history and the rules, then writes what the history has ready in one batch.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ServiceRecord } from '../model.js';
import type { MetricValues } from './history.js';
import type { SampleSource } from './sample-source.js';

/** A service as the sampler sees it: its record, whether it is meant to be running now, its restarts so far. */
export interface WatchedService {
  record: ServiceRecord;
  running: boolean;
  restarts: number;
}

export interface SamplerOptions {
  clock: Clock;
  intervalMs: number;
  services(): Promise<WatchedService[]>;
  source: SampleSource;
  /** One round's values, per service, and the round's time. */
  round(samples: Map<string, MetricValues>, at: number): Promise<void>;
  /** How far back `restarts` counts (the rules' and the history's `restarts` is restarts within it). */
  restartsWindowMs: number;
  log: Logger;
}

export class Sampler {
  private cancel?: () => void;
  private running?: Promise<void>;
  /** Per service, its cumulative restart count over the window: `[t, count]`, oldest first. */
  private readonly restartMarks = new Map<string, Array<[number, number]>>();

  constructor(private readonly o: SamplerOptions) {}

  start(): void {
    this.cancel = this.o.clock.setInterval(() => {
      // A round that overruns the interval (a slow disk) is not stacked on: the next tick is skipped.
      if (!this.running) this.running = this.tick().finally(() => (this.running = undefined));
    }, this.o.intervalMs);
  }

  async stop(): Promise<void> {
    this.cancel?.();
    await this.running;
  }

  /** One round, now (also what the timer runs). */
  async tick(): Promise<void> {
    const at = this.o.clock.now();
    try {
      const services = await this.o.services();
      const running = services.filter((s) => s.running).map((s) => s.record);
      const samples = await this.o.source.sample(running, at);
      const values = new Map<string, MetricValues>();
      for (const s of services) {
        const restarts = this.restartsWithin(s.record.name, s.restarts, at);
        const sample = samples.get(s.record.name);
        if (sample) values.set(s.record.name, { ...sample, restarts });
      }
      for (const name of this.restartMarks.keys()) if (!services.some((s) => s.record.name === name)) this.restartMarks.delete(name);
      await this.o.round(values, at);
    } catch (err) {
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'sampling round failed');
    }
  }

  /**
   * Restarts within the window, not since the beginning of time: a counter that never resets would keep a
   * `restarts above 3` rule FIRING for ever after one bad night.
   */
  private restartsWithin(name: string, total: number, at: number): number {
    let marks = this.restartMarks.get(name);
    if (!marks) this.restartMarks.set(name, (marks = []));
    // Only the changes are kept: the first mark at or before the window's edge is the count to subtract.
    if (marks.length === 0 || marks[marks.length - 1][1] !== total) marks.push([at, total]);
    while (marks.length > 1 && marks[1][0] <= at - this.o.restartsWindowMs) marks.shift();
    return Math.max(0, total - marks[0][1]);
  }
}
