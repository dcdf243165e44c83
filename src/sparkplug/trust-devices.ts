// `sparkplug.trustDevices`: each device the trust tracker follows is a Sparkplug device too, with one metric,
// `Trust Level`. Read in pages through trust.get at start and whenever the device count moves, and kept by
// trust events between: DBIRTH for a device first seen, DDATA for a level change, DDEATH when it is removed. A device id that is also a service name,
// or that cannot be a topic level, is left out (the service keeps the name).
import type { TrustEvent } from '../events.js';
import type { TrustView } from '../model.js';
import { TRUST_PAGE_MAX } from '../operations/schemas.js';
import type { BadInputLog } from './bad-input-log.js';
import { MetricSet } from './metric-tree.js';
import type { OutMetric } from './payload.js';
import { TOPIC_ID } from './topics.js';

export const TRUST_METRICS = { 'Trust Level': 'String' } as const;
type TrustMetric = keyof typeof TRUST_METRICS;

export interface TrustDevicePublisher {
  publishDeviceBirth(device: string, metrics: OutMetric[]): void;
  publishDeviceData(device: string, metrics: OutMetric[]): void;
  publishDeviceDeath(device: string): void;
}

export class TrustDevices {
  private readonly devices = new Map<string, MetricSet<TrustMetric>>();
  /** Ids left out (a service's name, or not a topic level): logged once, not looked at again. */
  private readonly left = new Set<string>();

  constructor(
    private readonly isService: (name: string) => boolean,
    private readonly badInput: BadInputLog,
  ) {}

  /**
   * Every tracked device, a page at a time (trust.get answers at most TRUST_PAGE_MAX per call), reconciled
   * with what is known: DBIRTH for a new one, DDATA for a changed level, DDEATH for one gone. The tracker
   * emits no event for a device's first beat, so the front calls this whenever the device count moves.
   */
  async sync(ask: (body: Record<string, unknown>) => Promise<TrustView[]>, publisher: TrustDevicePublisher | undefined, at: number): Promise<void> {
    const seen = new Set<string>();
    let after: number | undefined;
    for (;;) {
      const page = await ask(after === undefined ? { limit: TRUST_PAGE_MAX } : { limit: TRUST_PAGE_MAX, after });
      for (const v of page) {
        seen.add(v.id);
        const set = this.devices.get(v.id);
        if (set) publisher?.publishDeviceData(v.id, set.update({ 'Trust Level': v.trustLevel }, at));
        else if (!this.left.has(v.id)) {
          const fresh = this.take(v.id, v.trustLevel);
          if (fresh) publisher?.publishDeviceBirth(v.id, fresh.birth(at));
        }
      }
      if (page.length < TRUST_PAGE_MAX) break;
      after = page[page.length - 1].instanceId;
    }
    for (const id of [...this.devices.keys()]) {
      if (seen.has(id)) continue;
      this.devices.delete(id);
      publisher?.publishDeviceDeath(id);
    }
  }

  /** Devices tracked here plus those left out: compared with agent.info's count to know when to sync. */
  get count(): number {
    return this.devices.size + this.left.size;
  }

  has(id: string): boolean {
    return this.devices.has(id);
  }

  births(at: number): Array<[string, OutMetric[]]> {
    return [...this.devices].map(([id, set]) => [id, set.birth(at)]);
  }

  onEvent(e: TrustEvent, publisher: TrustDevicePublisher | undefined): void {
    if (e.reason === 'REMOVED') {
      this.left.delete(e.deviceId);
      if (this.devices.delete(e.deviceId)) publisher?.publishDeviceDeath(e.deviceId);
      return;
    }
    if (this.left.has(e.deviceId)) return;
    const set = this.devices.get(e.deviceId);
    if (set) return publisher?.publishDeviceData(e.deviceId, set.update({ 'Trust Level': e.to }, e.at));
    const fresh = this.take(e.deviceId, e.to);
    if (fresh) publisher?.publishDeviceBirth(e.deviceId, fresh.birth(e.at));
  }

  private take(id: string, level: string): MetricSet<TrustMetric> | undefined {
    if (!TOPIC_ID.test(id) || this.isService(id)) {
      this.left.add(id);
      this.badInput.once('trust-device-id', { device: id.slice(0, 128) }, 'tracked device left out of Sparkplug: its id is a service name or not a topic level');
      return undefined;
    }
    const set = new MetricSet<TrustMetric>(TRUST_METRICS, { 'Trust Level': level });
    this.devices.set(id, set);
    return set;
  }
}
