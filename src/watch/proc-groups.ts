// One look at /proc for every watched process group at once (what `ps -e -o pgid,rss,nlwp,time` reads): the
// CPU ticks, resident memory, threads and open files of all the processes of each group, so that a service's
// numbers include whatever it started itself.
import { readdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { readProcText } from '../executor/proc-text.js';

export interface GroupTotals {
  /** utime + stime + cutime + cstime of the members: children a member reaped still count. */
  cpuTicks: number;
  rssBytes: number;
  threads: number;
  fds: number;
}

/**
 * The kernel's page size, from our own process: /proc/self/stat counts RSS in pages, /proc/self/status in kB.
 * 4 KiB on x86 and most ARM boards, 16 KiB on a Raspberry Pi 5's kernel: never assumed.
 */
export function pageSize(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const pages = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[21]);
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const ratio = (kb * 1024) / pages;
    // The two reads are a moment apart: round to the nearest power of two.
    return 2 ** Math.round(Math.log2(ratio));
  } catch {
    return 4096;
  }
}

/** Totals per process group id, for the groups asked for; a group with no live member is absent. */
export async function readGroups(pgids: ReadonlySet<number>, page: number): Promise<Map<number, GroupTotals>> {
  const totals = new Map<number, GroupTotals>();
  if (pgids.size === 0) return totals;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return totals;
  }
  await Promise.all(
    entries.map(async (entry) => {
      const c = entry.charCodeAt(0);
      if (c < 48 || c > 57) return;
      let stat: string;
      try {
        stat = await readProcText(`/proc/${entry}/stat`);
      } catch {
        return; // gone meanwhile
      }
      // After the command name's last ')': field 3 is f[0], so field n is f[n - 3].
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(f[2]);
      if (!pgids.has(pgrp) || f[0] === 'Z') return;
      let group = totals.get(pgrp);
      if (!group) totals.set(pgrp, (group = { cpuTicks: 0, rssBytes: 0, threads: 0, fds: 0 }));
      group.cpuTicks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      group.threads += Number(f[17]);
      group.rssBytes += Number(f[21]) * page;
      group.fds += await countFds(entry);
    }),
  );
  return totals;
}

async function countFds(pid: string): Promise<number> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return 0; // not ours to read, or gone
  }
}
