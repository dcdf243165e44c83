// What plugins do to their devices (CONTRACT section 8, after ONAP NCMP's DMI plugins): a plugin going down
// turns all its devices NONE in one sweep; coming back up holds them NONE and asks for re-registration;
// the device set it sends replaces the old one; its reports set device levels until the next heartbeat.
import {
  F_AWAITING as AWAITING,
  F_DEVICE_COMPLETE as DEV,
  F_HOLDS as HOLDS,
  F_MISSING as MISSING,
  F_REPORTED as REPORTED,
} from './device-table.js';
import { D_FLAGS, D_TIMES } from './dirty-chunks.js';
import type { TrustState } from './trust-state.js';

export type DeviceEntry = { id: string; properties?: Record<string, unknown> };
export type ReportEntry = { deviceId: string; trustLevel: 'COMPLETE' | 'NONE' };

export function pluginWentDown(s: TrustState, p: number, at: number): void {
  const t = s.table;
  for (let i = 0; i < t.size; i++) if (t.plugin[i] === p) s.settle(i, 'PLUGIN_DOWN', at);
}

/**
 * Back up: its devices stay NONE (held) until its device set arrives, or until `graceMs` passes without one
 * (a plugin that never sends sets must not keep its devices NONE for ever). Queues the reregister request.
 */
export function pluginCameBack(s: TrustState, p: number, name: string, at: number, graceMs: number): void {
  const t = s.table;
  for (let i = 0; i < t.size; i++) {
    if (t.plugin[i] !== p) continue;
    t.flags[i] |= AWAITING;
    s.dirty.mark(i, D_FLAGS);
    s.settle(i, 'PLUGIN_UP', at);
  }
  s.plugins.awaiting.set(p, at + graceMs);
  s.publisher.reregisters.push({ plugin: name, at });
}

/** The wait for re-registration is over: each device gets its own level back. */
export function endAwaiting(s: TrustState, p: number, at: number): void {
  s.plugins.awaiting.delete(p);
  const t = s.table;
  for (let i = 0; i < t.size; i++) {
    if (t.plugin[i] !== p || (t.flags[i] & AWAITING) === 0) continue;
    t.flags[i] &= ~AWAITING;
    s.dirty.mark(i, D_FLAGS);
    s.settle(i, 'PLUGIN_UP', at);
  }
}

/**
 * The plugin's full device set: listed devices are vouched for now, unlisted ones stay NONE (held). A device
 * tied to another plugin stays with it (a set never takes another plugin's devices); returns how many were.
 */
export function replaceDeviceSet(s: TrustState, p: number, devices: readonly DeviceEntry[], at: number): number {
  const t = s.table;
  s.plugins.awaiting.delete(p);
  const listed = new Uint8Array(t.size + devices.length);
  let foreign = 0;
  for (const { id, properties } of devices) {
    let i = t.indexOf(id);
    if (i < 0) {
      i = s.addDevice(id, p, at, DEV);
      if (i < 0) continue;
    } else {
      if (t.plugin[i] !== 0 && t.plugin[i] !== p) {
        foreign++;
        continue;
      }
      s.tie(i, p);
      t.flags[i] = (t.flags[i] | DEV) & ~(HOLDS | REPORTED);
      if (at > t.ref[i]) t.ref[i] = at;
      s.dirty.mark(i, D_FLAGS | D_TIMES);
      s.scheduleIfTimed(i);
      s.settle(i, 'REREGISTERED', at);
    }
    if (properties) t.properties.set(i, properties);
    else t.properties.delete(i);
    s.publisher.dirtyProps.add(i);
    listed[i] = 1;
  }
  for (let i = 0; i < t.size; i++) {
    if (t.plugin[i] !== p || listed[i] === 1) continue;
    const f = t.flags[i];
    if ((f & HOLDS) === MISSING) continue;
    t.flags[i] = (f | MISSING) & ~AWAITING;
    s.dirty.mark(i, D_FLAGS);
    s.settle(i, 'REREGISTERED', at);
  }
  return foreign;
}

/** Sets levels directly until each device's next heartbeat; returns how many entries named another plugin's devices. */
export function applyReport(s: TrustState, p: number, entries: readonly ReportEntry[], at: number): number {
  const t = s.table;
  let foreign = 0;
  for (const { deviceId, trustLevel } of entries) {
    const level = trustLevel === 'COMPLETE' ? DEV : 0;
    const i = t.indexOf(deviceId);
    if (i < 0) {
      s.addDevice(deviceId, p, at, level | REPORTED);
      continue;
    }
    if (t.plugin[i] !== 0 && t.plugin[i] !== p) {
      foreign++;
      continue;
    }
    s.tie(i, p);
    t.flags[i] = (t.flags[i] & ~(DEV | HOLDS)) | REPORTED | level;
    if (at > t.ref[i]) t.ref[i] = at;
    s.dirty.mark(i, D_FLAGS | D_TIMES);
    s.settle(i, 'PLUGIN_REPORT', at);
  }
  return foreign;
}
