// Device heartbeats and plugin messages: decoded here, validated by the shared payload schemas, then handed
// to the trust tracker. Heartbeats are not commands: they skip the inbox (DESIGN, the life of a heartbeat).
import type { Logger } from 'pino';
import { parseDeviceHeartbeat, parseDeviceSet, parseTrustReport, isValidPluginName, type Parsed } from '../trust/plugin-payloads.js';
import type { TrustInput } from '../trust/trust-query.js';
import { MAX_DEVICE_SET_BYTES, MAX_PAYLOAD_BYTES } from './limits.js';


export class PluginMessages {
  /** Refusals are logged once per kind, so a misbehaving sender cannot fill the log. */
  private readonly loggedRefusals = new Set<string>();

  constructor(
    private readonly trust: TrustInput,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  deviceBeat(deviceId: string, payload: Buffer): void {
    if (payload.length > MAX_PAYLOAD_BYTES) return this.refuse('device-heartbeat', 'payload over 64 KiB');
    const beat = parseDeviceHeartbeat(deviceId, payload);
    if (!beat.ok) return this.refuse('device-heartbeat', beat.error);
    this.trust.beat(deviceId, this.now(), beat.value.plugin);
  }

  deviceSet(plugin: string, payload: Buffer): void {
    if (!isValidPluginName(plugin)) return this.refuse('device-set', `bad plugin name ${JSON.stringify(plugin.slice(0, 64))}`);
    const set = this.decode(payload, MAX_DEVICE_SET_BYTES, parseDeviceSet);
    if (!set.ok) return this.refuse('device-set', set.error);
    this.trust.pluginDevices(plugin, set.value.devices, this.now());
  }

  trustReport(plugin: string, payload: Buffer): void {
    if (!isValidPluginName(plugin)) return this.refuse('trust-report', `bad plugin name ${JSON.stringify(plugin.slice(0, 64))}`);
    const report = this.decode(payload, MAX_DEVICE_SET_BYTES, parseTrustReport);
    if (!report.ok) return this.refuse('trust-report', report.error);
    this.trust.pluginReport(plugin, report.value, this.now());
  }

  private decode<T>(payload: Buffer, limit: number, parse: (v: unknown) => Parsed<T>): Parsed<T> {
    if (payload.length > limit) return { ok: false, error: `payload of ${payload.length} bytes is over the ${limit}-byte limit` };
    try {
      return parse(JSON.parse(payload.toString('utf8')));
    } catch {
      return { ok: false, error: 'payload is not JSON' };
    }
  }

  private refuse(kind: string, reason: string): void {
    if (this.loggedRefusals.has(kind)) return;
    this.loggedRefusals.add(kind);
    this.log.warn({ kind, reason }, 'inbound message refused (further refusals of this kind are not logged)');
  }
}
