// Resource history in the store (CONTRACT section 15): per service and minute, the raw samples (kept for
// `rawWindowMs`) and the minute's min/avg/max per metric (kept for `historyHours`). A minute is written once,
// when it ends, with every other service's in one batch: about one LevelDB write a minute, whatever the count
// of services (BENCHMARKS.md: flash writes an hour).
import type { BatchOp, Section } from '../store/store.js';
import { METRICS, type HistoryPoint, type HistoryQuery, type MetricName } from '../operations/watch-ports.js';

export const MINUTE_MS = 60_000;

/** `[t, cpuPercent, memoryBytes, fds, threads, restarts]`, null where the source had no figure. */
type RawRow = [number, ...Array<number | null>];
/** Per metric (METRICS order) the minute's `[min, avg, max]`, and how many samples made it. */
interface MinuteRow {
  n: number;
  v: Array<[number, number, number] | null>;
}

/** One hour's minutes, `[minute, figures]`, oldest first. */
type HourRows = Array<[number, MinuteRow]>;

export type MetricValues = Partial<Record<MetricName, number>>;

export interface HistoryOptions {
  section: Section<unknown>;
  rawWindowMs: number;
  historyHours: number;
  now(): number;
  /** A failed batch is said once per failure, and the minutes in it are lost (the agent goes on). */
  onWriteError: (err: unknown) => void;
}

const pad = (t: number): string => String(t).padStart(13, '0');
const rawKey = (name: string, minute: number): string => `r/${name}/${pad(minute)}`;
const minuteKey = (name: string, minute: number): string => `m/${name}/${pad(minute)}`;
const hourKey = (name: string, hour: number): string => `h/${name}/${pad(hour)}`;
const HOUR_MS = 3_600_000;
const hourOf = (t: number): number => Math.floor(t / HOUR_MS) * HOUR_MS;
const timeOfKey = (key: string): number => Number(key.slice(key.lastIndexOf('/') + 1));
const minuteOf = (t: number): number => Math.floor(t / MINUTE_MS) * MINUTE_MS;

export class History implements HistoryQuery {
  /** The minute in progress per service, in memory until it ends. */
  private readonly open = new Map<string, { minute: number; rows: RawRow[] }>();
  /** Minutes that ended and wait for the next flush. */
  private closing: Array<{ name: string; minute: number; rows: RawRow[] }> = [];
  /** Services whose first minute of this run was written: that one may continue a minute an earlier run wrote. */
  private readonly continued = new Set<string>();

  constructor(private readonly o: HistoryOptions) {}

  record(name: string, t: number, values: MetricValues): void {
    const minute = minuteOf(t);
    let current = this.open.get(name);
    if (current && current.minute !== minute) {
      this.end(name, current);
      current = undefined;
    }
    if (!current) this.open.set(name, (current = { minute, rows: [] }));
    current.rows.push([t, ...METRICS.map((m) => values[m] ?? null)]);
  }

  /**
   * Ends the minutes that are over (also of services no longer sampled) and writes them, with the entries
   * that aged out, in one batch. Called once per sampling round.
   */
  async flush(now: number): Promise<void> {
    for (const [name, current] of this.open) {
      if (current.minute + MINUTE_MS <= now) {
        this.end(name, current);
        this.open.delete(name);
      }
    }
    if (this.closing.length === 0) return;
    const closing = this.closing;
    this.closing = [];
    try {
      const ops: BatchOp<unknown>[] = [];
      for (const { name, minute, rows } of closing) {
        let all = rows;
        if (!this.continued.has(name)) {
          // An agent restarted within a minute wrote that minute at its stop: this run's rows join them.
          this.continued.add(name);
          const before = (await this.o.section.get(rawKey(name, minute))) as RawRow[] | undefined;
          if (before) all = [...before.filter((r) => r[0] < rows[0][0]), ...rows];
        }
        ops.push({ type: 'put', key: rawKey(name, minute), value: all });
        // The hour's last minute folds the hour's minutes into one key: a day is then 24 keys to read, not 1 440.
        if (minute + MINUTE_MS === hourOf(minute) + HOUR_MS) ops.push(...(await this.foldHour(name, hourOf(minute), [minute, summarize(all)])));
        else ops.push({ type: 'put', key: minuteKey(name, minute), value: summarize(all) });
      }
      for (const name of new Set(closing.map((c) => c.name))) ops.push(...(await this.agedOut(name, now)));
      await this.o.section.batch(ops);
    } catch (err) {
      this.o.onWriteError(err);
    }
  }

  /** Writes what is open now (at a stop), so that a restart loses no minute it had. */
  async close(now: number): Promise<void> {
    for (const [name, current] of this.open) this.end(name, current);
    this.open.clear();
    await this.flush(now);
  }

  async points(name: string, metric: MetricName, sinceMs: number, stepMs: number): Promise<HistoryPoint[]> {
    const index = METRICS.indexOf(metric);
    const buckets = new Map<number, { min: number; max: number; sum: number; n: number }>();
    const add = (t: number, min: number, avg: number, max: number, n: number): void => {
      const at = Math.floor(t / stepMs) * stepMs;
      const b = buckets.get(at);
      if (!b) buckets.set(at, { min, max, sum: avg * n, n });
      else {
        b.min = Math.min(b.min, min);
        b.max = Math.max(b.max, max);
        b.sum += avg * n;
        b.n += n;
      }
    };
    const addRow = (row: RawRow): void => {
      const v = row[index + 1];
      if (row[0] >= sinceMs && v !== null && v !== undefined) add(row[0], v, v, v, 1);
    };
    const current = this.open.get(name);
    const fromMinute = minuteOf(sinceMs);
    // Within the raw window and at steps under a minute, the raw samples; beyond, the minutes' figures.
    const raw = sinceMs >= this.o.now() - this.o.rawWindowMs || stepMs < MINUTE_MS;
    const section = this.o.section;
    if (raw) {
      for await (const [, rows] of section.entries({ gte: rawKey(name, fromMinute), lt: `r/${name}/~` })) (rows as RawRow[]).forEach(addRow);
      for (const row of this.pendingRows(name)) addRow(row);
      current?.rows.forEach(addRow);
    } else {
      const addMinute = (minute: number, row: MinuteRow): void => {
        const v = row.v[index];
        if (v && minute >= fromMinute) add(minute, v[0], v[1], v[2], row.n);
      };
      for await (const [, rows] of section.entries({ gte: hourKey(name, hourOf(fromMinute)), lt: `h/${name}/~` })) for (const [minute, row] of rows as HourRows) addMinute(minute, row);
      for await (const [key, row] of section.entries({ gte: minuteKey(name, fromMinute), lt: `m/${name}/~` })) addMinute(timeOfKey(key), row as MinuteRow);
      if (current) addMinute(current.minute, summarize(current.rows));
    }
    return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, b]) => [t, b.min, Math.round((b.sum / b.n) * 100) / 100, b.max]);
  }

  /** Rows of minutes that ended but are not written yet (between `end` and the next flush). */
  private pendingRows(name: string): RawRow[] {
    return this.closing.filter((c) => c.name === name).flatMap((c) => c.rows);
  }

  private end(name: string, current: { minute: number; rows: RawRow[] }): void {
    this.closing.push({ name, minute: current.minute, rows: current.rows });
  }

  /** The hour's minute keys and its last minute as one `h/` key, the minute keys deleted (in the same batch). */
  private async foldHour(name: string, hour: number, last: [number, MinuteRow]): Promise<BatchOp<unknown>[]> {
    const rows: HourRows = [];
    const ops: BatchOp<unknown>[] = [];
    for await (const [key, row] of this.o.section.entries({ gte: minuteKey(name, hour), lt: minuteKey(name, hour + HOUR_MS) })) {
      rows.push([timeOfKey(key), row as MinuteRow]);
      ops.push({ type: 'del', key });
    }
    rows.push(last);
    ops.push({ type: 'put', key: hourKey(name, hour), value: rows });
    return ops;
  }

  /** Deletes for this service's entries past their keeping: usually one of each, found with one seek. */
  private async agedOut(name: string, now: number): Promise<BatchOp<unknown>[]> {
    const ops: BatchOp<unknown>[] = [];
    const ranges: Array<[string, string]> = [
      [`r/${name}/`, rawKey(name, minuteOf(now - this.o.rawWindowMs))],
      [`m/${name}/`, minuteKey(name, minuteOf(now - this.o.historyHours * HOUR_MS))],
      // An hour goes once all of it is past keeping.
      [`h/${name}/`, hourKey(name, hourOf(now - this.o.historyHours * HOUR_MS))],
    ];
    for (const [gte, lt] of ranges) {
      for await (const [key] of this.o.section.entries({ gte, lt })) ops.push({ type: 'del', key });
    }
    return ops;
  }
}

function summarize(rows: readonly RawRow[]): MinuteRow {
  return {
    n: rows.length,
    v: METRICS.map((_, i) => {
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      let n = 0;
      for (const row of rows) {
        const v = row[i + 1];
        if (v === null || v === undefined) continue;
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
        n += 1;
      }
      return n ? [min, Math.round((sum / n) * 100) / 100, max] : null;
    }),
  };
}
