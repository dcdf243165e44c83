// What the operations layer and fronts ask of the trust tracker; the query port lives with the other ports
// (operations/ports.ts).
import type { TrustQuery } from '../operations/ports.js';

export type { TrustFilter, TrustQuery } from '../operations/ports.js';

/** Until the trust tracker runs, the agent tracks no devices. */
export const noDevices: TrustQuery = {
  query: () => [],
  counts: () => ({ devices: 0, trusted: 0 }),
};

/** What the MQTT front feeds into the trust tracker (heartbeats and plugin messages are not commands). */
export interface TrustInput {
  /** A device heartbeat; `plugin` ties the device to a plugin when given. O(1), no allocation when known. */
  beat(deviceId: string, at: number, plugin?: string): void;
  /** A plugin's full device set (registration or re-registration): replaces the old one. */
  pluginDevices(plugin: string, devices: Array<{ id: string; properties?: Record<string, unknown> }>, at: number): void;
  /** A plugin's own word on its devices' levels. */
  pluginReport(plugin: string, entries: Array<{ deviceId: string; trustLevel: 'COMPLETE' | 'NONE' }>, at: number): void;
}
