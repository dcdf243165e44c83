// How numbers and times read in tables.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: unknown): string | undefined {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return undefined;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** 45s, 12m05s, 3h07m, 2d04h: the two largest units are enough to read at a glance. */
export function formatDuration(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return undefined;
  const s = Math.floor(seconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

export function formatPercent(value: unknown): string | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(1) : undefined;
}

export function formatAddress(host: unknown, port: unknown): string | undefined {
  if (typeof host !== 'string' || host === '') return typeof port === 'number' ? `:${port}` : undefined;
  const shown = host.includes(':') ? `[${host}]` : host; // IPv6 literal
  return typeof port === 'number' ? `${shown}:${port}` : host;
}

/**
 * One time format for people everywhere (CLI tables, the status page, pretty logs): the gateway's local time,
 * `2026-12-05 15:32:18`. An ISO string or epoch milliseconds in.
 */
export function formatClock(time: unknown): string | undefined {
  const ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : NaN;
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How a service's process last ended: `status 1 at 2026-12-05 06:30:12`, `SIGKILL at ...`. */
export function formatExit(code: unknown, signal: unknown, at: unknown): string | undefined {
  const when = formatClock(at);
  if (when === undefined) return undefined;
  const how = typeof signal === 'string' ? signal : typeof code === 'number' ? `status ${code}` : 'exit';
  return `${how} at ${when}`;
}
