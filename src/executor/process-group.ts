// A service's process group: what the process executor signals and waits for, so that a grandchild that
// ignores SIGTERM is not left running when its parent (the group leader) exits.
import { readdirSync } from 'node:fs';
import type { Clock } from '../clock.js';
import { readProcTextSync } from './proc-text.js';

/** How often the group is looked at while waiting for it to empty. */
const POLL_MS = 20;

/** Sends `sig` to every process of the group; false when the group is gone (or not ours to signal). */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * True while a live (not zombie) process is in the group. kill(-pgid, 0) answers fast when the group is
 * empty; when it says "someone is there", /proc tells a live member from a zombie nobody has reaped yet (in a
 * container, PID 1 may never reap what it inherits).
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(2)
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    try {
      const stat = readProcTextSync(`/proc/${entry}/stat`);
      // After the command name's last ')': field 3 state, field 4 ppid, field 5 pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      /* gone meanwhile */
    }
  }
  return false;
}

/** Resolves true once the group has no live member, false if `ms` pass first. */
export async function groupGoneWithin(pgid: number, ms: number, clock: Clock): Promise<boolean> {
  const end = clock.now() + ms;
  while (groupAlive(pgid)) {
    if (clock.now() >= end) return false;
    // A timer that holds the event loop open: at shutdown the group may be the only thing left to wait for
    // (the agent's clock timers are unref'd, and Node would exit mid-await).
    await new Promise<void>((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

export type GroupStop = 'terminated' | 'killed' | 'stuck';

/** SIGTERM to the whole group; SIGKILL to what is left of it after `graceMs`; then up to `reapMs` for it to go. */
export async function stopGroup(pgid: number, graceMs: number, reapMs: number, clock: Clock): Promise<GroupStop> {
  signalGroup(pgid, 'SIGTERM');
  if (await groupGoneWithin(pgid, graceMs, clock)) return 'terminated';
  signalGroup(pgid, 'SIGKILL');
  return (await groupGoneWithin(pgid, reapMs, clock)) ? 'killed' : 'stuck';
}
