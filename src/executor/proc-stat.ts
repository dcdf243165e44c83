// CPU time and resident memory of one process, from Linux's /proc.
import { readProcText } from './proc-text.js';

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux build Node runs on (x86, ARM). */
export const CLOCK_TICKS_PER_S = 100;

export interface ProcSample {
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  rssBytes: number;
}

/** Undefined when the process is gone or there is no /proc (not Linux). */
export async function readProc(pid: number): Promise<ProcSample | undefined> {
  try {
    const [stat, status] = await Promise.all([readProcText(`/proc/${pid}/stat`), readProcText(`/proc/${pid}/status`)]);
    return { cpuTicks: cpuTicksOf(stat), rssBytes: rssOf(status) };
  } catch {
    return undefined;
  }
}

/** Fields 14 (utime) and 15 (stime); the command name (field 2) may hold spaces and parentheses, so count from its last ')'. */
export function cpuTicksOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  return Number(fields[11]) + Number(fields[12]);
}

export function rssOf(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** CPU use between two samples, in percent of one core. */
export function cpuPercent(ticksBefore: number, ticksNow: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  const busyS = Math.max(0, ticksNow - ticksBefore) / CLOCK_TICKS_PER_S;
  return Math.round((busyS / (elapsedMs / 1000)) * 10_000) / 100;
}
