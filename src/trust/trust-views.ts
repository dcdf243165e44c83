// TrustView rows (CONTRACT section 4) read out of the device table for trust.get, the CLI and LwM2M 33002.
import type { TrustLevel, TrustView } from '../model.js';
import { F_DEVICE_COMPLETE, F_EFFECTIVE_COMPLETE, F_HAS_BEATEN, F_HOLDS, type DeviceTable } from './device-table.js';
import type { PluginTable } from './plugin-table.js';
import type { TrustFilter } from './trust-query.js';

const level = (complete: boolean): TrustLevel => (complete ? 'COMPLETE' : 'NONE');

export function viewOf(table: DeviceTable, plugins: PluginTable, i: number): TrustView {
  const f = table.flags[i];
  const p = table.plugin[i];
  const view: TrustView = {
    id: table.ids[i],
    instanceId: i,
    trustLevel: level((f & F_EFFECTIVE_COMPLETE) !== 0),
    deviceLevel: level((f & F_DEVICE_COMPLETE) !== 0 && (f & F_HOLDS) === 0),
    pluginLevel: plugins.levelOf(p),
  };
  if (p !== 0) view.plugin = plugins.names[p];
  if (f & F_HAS_BEATEN) view.lastHeartbeatAt = new Date(table.lastBeat[i]).toISOString();
  return view;
}

/** Devices matching the filter: the given ids in the order given (unknown ones left out), else all in index order. */
export function queryViews(table: DeviceTable, plugins: PluginTable, filter: TrustFilter): TrustView[] {
  const want = filter.level === undefined ? -1 : filter.level === 'COMPLETE' ? F_EFFECTIVE_COMPLETE : 0;
  const matches = (i: number): boolean => want < 0 || (table.flags[i] & F_EFFECTIVE_COMPLETE) === want;
  const out: TrustView[] = [];
  if (filter.ids) {
    for (const id of filter.ids) {
      const i = table.indexOf(id);
      if (i >= 0 && matches(i)) out.push(viewOf(table, plugins, i));
    }
    return out;
  }
  // A page of the fleet in instance-id order: `after` is the last instanceId of the previous page.
  const limit = filter.limit ?? Infinity;
  for (let i = filter.after === undefined ? 0 : filter.after + 1; i < table.size && out.length < limit; i++) {
    if (matches(i)) out.push(viewOf(table, plugins, i));
  }
  return out;
}
