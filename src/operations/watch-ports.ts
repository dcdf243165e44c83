// The ports of the watch (issue 27, CONTRACT sections 15 and 16): a service's output, its resource history,
// and the rules' states, as the operations read them. Providers live in src/output and src/watch.

export type OutputStreamName = 'stdout' | 'stderr';

/** One line a service printed; `t` in epoch ms. */
export interface OutputLine {
  t: number;
  stream: OutputStreamName;
  text: string;
}

export interface OutputQuery {
  /** The last `limit` lines at or after `since`, oldest first (none for a service that printed nothing). */
  lines(name: string, limit: number, since: number): OutputLine[];
}

export const METRICS = ['cpuPercent', 'memoryBytes', 'fds', 'threads', 'restarts'] as const;
export type MetricName = (typeof METRICS)[number];

/** `[t, min, avg, max]`, t the start of the bucket in epoch ms. */
export type HistoryPoint = [number, number, number, number];

export interface HistoryQuery {
  points(name: string, metric: MetricName, sinceMs: number, stepMs: number): Promise<HistoryPoint[]>;
}

export type AlertState = 'INACTIVE' | 'PENDING' | 'FIRING';

export interface AlertView {
  rule: string;
  name: string;
  state: AlertState;
  since?: string;
  value?: number;
  /** Actions taken within the rule's action window. */
  actions: number;
}

export interface AlertQuery {
  list(): AlertView[];
}

/** The watch's parts, as the operations see them. Absent parts answer UNAVAILABLE. */
export interface WatchPorts {
  output?: OutputQuery;
  history?: HistoryQuery;
  alerts?: AlertQuery;
}
