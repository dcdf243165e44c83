// `sma-bridge services logs NAME [-n N] [-f]`, `services history NAME METRIC`, `alerts list` (CONTRACT 15, 16).
import { askList, askObject, output, type ClientCommand } from './agent-request.js';
import type { OptionValues } from './argv.js';
import { formatClock } from './cell-format.js';
import { EXIT_OK, usageError, writeJson, writeLine } from './io.js';
import { renderTable, type Column } from './table.js';

interface LogLine {
  at: string;
  stream: string;
  text: string;
}

interface AlertRow {
  rule: string;
  name: string;
  state: string;
  since?: string;
  value?: number;
  actions: number;
}

const METRIC_NAMES = ['cpuPercent', 'memoryBytes', 'fds', 'threads', 'restarts'];
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `1d`, or plain milliseconds. */
export function durationMs(text: string, option: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text);
  if (!match) throw usageError(`--${option} takes a duration such as 90s, 30m or 24h, not '${text}'`);
  return Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
}

/** Checked before connecting: bad values are usage errors (exit 2). */
export function watchArguments(verb: string, args: string[], values: OptionValues): void {
  if (values.lines !== undefined && !/^[1-9]\d{0,4}$/.test(values.lines)) throw usageError(`-n takes a number of lines (1..99999), not '${values.lines}'`);
  if (values.since !== undefined) durationMs(values.since, 'since');
  if (values.step !== undefined) durationMs(values.step, 'step');
  if (verb === 'history' && !METRIC_NAMES.includes(args[1])) throw usageError(`METRIC must be one of ${METRIC_NAMES.join(', ')}, not '${args[1]}'`);
}


export async function runLogs(cmd: ClientCommand): Promise<number> {
  const { args, values, io, client } = cmd;
  const name = args[0];
  // One line each: writeLine shows a control character of the service's text as \xNN; --json as JSON escapes.
  const print = (l: LogLine): void => (values.json ? writeJson(io.stdout, l, 0) : writeLine(io.stdout, `${l.at} ${l.stream} ${l.text}`));
  // Following: subscribed before asking, so that no line falls between the answer and the first event.
  const early: LogLine[] = [];
  let caughtUp = false;
  let last = '';
  let sameAsLast = 0;
  const fresh = (l: LogLine): boolean => {
    // Lines of the answer's last millisecond may come again in the first event: skip as many as were printed.
    if (l.at < last) return false;
    if (l.at === last && sameAsLast > 0) {
      sameAsLast -= 1;
      return false;
    }
    return true;
  };
  if (values.follow) {
    await client.follow(`event/log/${name}`, (payload) => {
      const lines = parseLogEvent(payload);
      if (!caughtUp) early.push(...lines);
      else for (const l of lines) if (fresh(l)) print(l);
    });
  }
  const body: Record<string, unknown> = { name };
  if (values.lines !== undefined) body.lines = Number(values.lines);
  if (values.since !== undefined) body.sinceMs = Date.now() - durationMs(values.since, 'since');
  const answer = await askObject<{ lines: LogLine[] }>(client, 'services.logs', body);
  for (const l of answer.lines) print(l);
  if (!values.follow) return EXIT_OK;
  last = answer.lines.at(-1)?.at ?? '';
  sameAsLast = answer.lines.filter((l) => l.at === last).length;
  caughtUp = true;
  for (const l of early) if (fresh(l)) print(l);
  // Until Ctrl-C (or SIGTERM), or until the broker goes away.
  await Promise.race([new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve)), client.closed()]);
  return EXIT_OK;
}

function parseLogEvent(payload: Buffer): LogLine[] {
  try {
    const body = JSON.parse(payload.toString('utf8')) as { lines?: unknown };
    if (!Array.isArray(body.lines)) return [];
    return body.lines.filter((l): l is LogLine => typeof l === 'object' && l !== null && typeof (l as LogLine).at === 'string' && typeof (l as LogLine).text === 'string');
  } catch {
    return [];
  }
}

export async function runHistory(cmd: ClientCommand): Promise<number> {
  const { args, values, io, client } = cmd;
  const body: Record<string, unknown> = { name: args[0], metric: args[1] };
  if (values.since !== undefined) body.sinceMs = Date.now() - durationMs(values.since, 'since');
  if (values.step !== undefined) body.stepMs = durationMs(values.step, 'step');
  const answer = await askObject<{ points: Array<[number, number, number, number]> }>(client, 'services.history', body);
  const columns: Column<[number, number, number, number]>[] = [
    { header: 'TIME', cell: (p) => new Date(p[0]).toISOString() },
    { header: 'MIN', cell: (p) => p[1], align: 'right' },
    { header: 'AVG', cell: (p) => Math.round(p[2] * 100) / 100, align: 'right' },
    { header: 'MAX', cell: (p) => p[3], align: 'right' },
  ];
  output(io, values, answer, () => renderTable(columns, answer.points));
  return EXIT_OK;
}

export async function runAlerts(cmd: ClientCommand): Promise<number> {
  const { io, values, client } = cmd;
  const rows = await askList<AlertRow>(client, 'alerts.list', {});
  const columns: Column<AlertRow>[] = [
    { header: 'RULE', cell: (a) => a.rule },
    { header: 'SERVICE', cell: (a) => a.name },
    { header: 'STATE', cell: (a) => a.state },
    { header: 'SINCE', cell: (a) => (a.since ? formatClock(a.since) : undefined) },
    { header: 'VALUE', cell: (a) => a.value, align: 'right' },
    { header: 'ACTIONS', cell: (a) => a.actions, align: 'right' },
  ];
  output(io, values, rows, () => renderTable(columns, rows));
  return EXIT_OK;
}
