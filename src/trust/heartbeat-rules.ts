// What heartbeats and their absence do to a device's own level (CONTRACT section 8): COMPLETE while its last
// heartbeat is younger than the timeout, NONE after. The common case (a COMPLETE device beating again) is
// handled inline by TrustTracker.beat; these are the rarer moves.
import {
  F_DEVICE_COMPLETE as DEV,
  F_HAS_BEATEN as BEATEN,
  F_HOLDS as HOLDS,
  F_REPORTED as REPORTED,
} from './device-table.js';
import { D_FLAGS, D_TIMES } from './dirty-chunks.js';
import { TIMED_MASK, type TrustState } from './trust-state.js';

/** A device's first heartbeat: it is known from now on, COMPLETE unless the beat is already stale. */
export function firstBeat(s: TrustState, deviceId: string, at: number, now: number, plugin?: string): void {
  const p = plugin === undefined ? 0 : Math.max(0, s.pluginIndex(plugin));
  const fresh = at + s.timeoutMs > now;
  const i = s.addDevice(deviceId, p, at, (fresh ? DEV : 0) | BEATEN);
  if (i >= 0) s.table.lastBeat[i] = at;
}

/** A heartbeat that may change something: a NONE device, a report or hold in place, or a new plugin tie. */
export function beatAgain(s: TrustState, i: number, at: number, now: number, plugin?: string): void {
  const t = s.table;
  let f = t.flags[i] | BEATEN;
  let retied = false;
  if (plugin !== undefined) {
    const p = s.pluginIndex(plugin);
    // Tied to another plugin now: what the old plugin held no longer holds.
    if (p > 0 && p !== t.plugin[i]) {
      s.tie(i, p);
      f &= ~HOLDS;
      retied = true;
    }
  }
  if (t.ref[i] + s.timeoutMs <= now) {
    t.flags[i] = f; // a stale beat raises nothing
    s.dirty.markLazy(i, D_FLAGS);
    s.markBeat(i);
    return;
  }
  const next = (f | DEV) & ~REPORTED;
  if (next === t.flags[i] && !retied) {
    // Nothing but the time moved (say, a plugin name that was ignored): an ordinary beat.
    s.markBeat(i);
    return;
  }
  // A held device keeps counting its heartbeats; the hold masks the level until it is lifted.
  t.flags[i] = next;
  s.dirty.mark(i, D_FLAGS | D_TIMES);
  s.scheduleIfTimed(i);
  s.settle(i, s.plugins.isComplete(t.plugin[i]) ? 'HEARTBEAT' : 'PLUGIN_DOWN', at);
}

/** The wheel reached a device's (possibly stale) slot: NONE if its deadline passed, else back in the wheel. */
export function deadlineReached(s: TrustState, i: number, now: number): void {
  const t = s.table;
  const f = t.flags[i];
  if ((f & TIMED_MASK) !== DEV) return; // no longer waits on a heartbeat: it leaves the wheel
  const deadline = t.ref[i] + s.timeoutMs;
  if (deadline > now) {
    s.wheel.schedule(i, deadline);
    return;
  }
  t.flags[i] = f & ~DEV;
  // Its exact last beat goes with the level: the beat marks that held it expire after a timeout.
  s.dirty.mark(i, D_FLAGS | D_TIMES);
  s.settle(i, 'HEARTBEAT_TIMEOUT', now);
}
