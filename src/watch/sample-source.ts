// Where samples come from, per executor (CONTRACT section 15): the process executor's groups from /proc, or
// the command executor's `metrics` (CPU and memory only).
import { CLOCK_TICKS_PER_S } from '../executor/proc-stat.js';
import type { ProcessMetrics } from '../executor/executor.js';
import type { ServiceRecord } from '../model.js';
import { pageSize, readGroups } from './proc-groups.js';

/** One sample of one service; a metric the source cannot see is absent. */
export interface ResourceSample {
  cpuPercent?: number;
  memoryBytes?: number;
  fds?: number;
  threads?: number;
}

export interface SampleSource {
  /** A sample per service it can see now; `at` is the time of this round. */
  sample(services: readonly ServiceRecord[], at: number): Promise<Map<string, ResourceSample>>;
}

/** The process executor: the whole process group of each service it spawned, read in one pass over /proc. */
export class ProcessGroupSource implements SampleSource {
  private readonly page = pageSize();
  /** The previous round's CPU ticks per service and when, for cpuPercent; the pid tells a new child apart. */
  private readonly last = new Map<string, { pgid: number; ticks: number; at: number }>();

  constructor(private readonly pidOf: (name: string) => number | undefined) {}

  async sample(services: readonly ServiceRecord[], at: number): Promise<Map<string, ResourceSample>> {
    const groups = new Map<string, number>();
    for (const s of services) {
      const pid = this.pidOf(s.name);
      if (pid !== undefined) groups.set(s.name, pid);
    }
    const totals = await readGroups(new Set(groups.values()), this.page);
    const out = new Map<string, ResourceSample>();
    for (const [name, pgid] of groups) {
      const t = totals.get(pgid);
      if (!t) continue;
      const before = this.last.get(name);
      this.last.set(name, { pgid, ticks: t.cpuTicks, at });
      // The first round of a (new) child has nothing to compare with: no CPU figure yet rather than a wrong one.
      const cpu = before && before.pgid === pgid && at > before.at ? cpuPercentOf(before.ticks, t.cpuTicks, at - before.at) : undefined;
      out.set(name, { ...(cpu !== undefined ? { cpuPercent: cpu } : {}), memoryBytes: t.rssBytes, fds: t.fds, threads: t.threads });
    }
    for (const name of this.last.keys()) if (!groups.has(name)) this.last.delete(name);
    return out;
  }
}

export function cpuPercentOf(ticksBefore: number, ticksNow: number, elapsedMs: number): number {
  const busyS = Math.max(0, ticksNow - ticksBefore) / CLOCK_TICKS_PER_S;
  return Math.round((busyS / (elapsedMs / 1000)) * 10_000) / 100;
}

/**
 * Each service from where it can be seen: a spawned service (`start`) from its process group, any other
 * (Docker, the command executor) from its executor's `metrics`.
 */
export class RoutedSource implements SampleSource {
  constructor(
    private readonly groups: SampleSource,
    private readonly others: SampleSource,
  ) {}

  async sample(services: readonly ServiceRecord[], at: number): Promise<Map<string, ResourceSample>> {
    const [spawned, rest] = await Promise.all([
      this.groups.sample(services.filter((s) => s.start), at),
      this.others.sample(services.filter((s) => !s.start), at),
    ]);
    return new Map([...spawned, ...rest]);
  }
}

/** The command executor: what its `metrics` command says, one service after another (it runs a process each). */
export class ExecutorMetricsSource implements SampleSource {
  constructor(private readonly metrics: (record: ServiceRecord) => Promise<ProcessMetrics | undefined>) {}

  async sample(services: readonly ServiceRecord[]): Promise<Map<string, ResourceSample>> {
    const out = new Map<string, ResourceSample>();
    for (const s of services) {
      const m = await this.metrics(s).catch(() => undefined);
      if (m) out.set(s.name, { cpuPercent: m.cpuPercent, memoryBytes: m.memoryBytes });
    }
    return out;
  }
}
