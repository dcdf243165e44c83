// Device heartbeats and plugin messages: decoded and checked here, then handed to the trust tracker.
import type { Logger } from 'pino';
import type { TrustInput } from '../trust/trust-query.js';
import { MAX_PAYLOAD_BYTES } from './request-handler.js';

const MAX_ID_BYTES = 128;
const TRUST_LEVELS = new Set(['COMPLETE', 'NONE']);

export class PluginMessages {
  /** Refusals are logged once per kind, so a misbehaving sender cannot fill the log. */
  private loggedRefusals = new Set<string>();

  constructor(
    private readonly trust: TrustInput,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  deviceBeat(deviceId: string, payload: Buffer): void {
    if (!validId(deviceId)) return this.refuse('device-id', `device id is empty or over ${MAX_ID_BYTES} bytes`);
    let plugin: string | undefined;
    // Any payload is a heartbeat; only a JSON object can name a plugin.
    if (payload.length > 0 && payload.length <= MAX_PAYLOAD_BYTES && payload[0] === 0x7b) {
      const body = parseJson(payload);
      if (isObject(body) && typeof body.plugin === 'string' && validId(body.plugin)) plugin = body.plugin;
    }
    this.trust.beat(deviceId, this.now(), plugin);
  }

  deviceSet(plugin: string, payload: Buffer): void {
    const body = payload.length <= MAX_PAYLOAD_BYTES * 16 ? parseJson(payload) : undefined;
    if (!isObject(body) || !Array.isArray(body.devices)) return this.refuse('device-set', 'device set must be {devices: [{id, properties?}]}');
    const devices: Array<{ id: string; properties?: Record<string, unknown> }> = [];
    for (const d of body.devices) {
      if (!isObject(d) || typeof d.id !== 'string' || !validId(d.id)) return this.refuse('device-set', 'device set holds a bad device id');
      if (d.properties !== undefined && !isObject(d.properties)) return this.refuse('device-set', 'device properties must be an object');
      devices.push({ id: d.id, properties: d.properties as Record<string, unknown> | undefined });
    }
    this.trust.pluginDevices(plugin, devices, this.now());
  }

  trustReport(plugin: string, payload: Buffer): void {
    const body = payload.length <= MAX_PAYLOAD_BYTES ? parseJson(payload) : undefined;
    if (!Array.isArray(body)) return this.refuse('trust-report', 'trust report must be [{deviceId, trustLevel}]');
    const entries: Array<{ deviceId: string; trustLevel: 'COMPLETE' | 'NONE' }> = [];
    for (const e of body) {
      if (!isObject(e) || typeof e.deviceId !== 'string' || !validId(e.deviceId) || !TRUST_LEVELS.has(e.trustLevel as string)) {
        return this.refuse('trust-report', 'trust report entry must be {deviceId, trustLevel: COMPLETE|NONE}');
      }
      entries.push({ deviceId: e.deviceId, trustLevel: e.trustLevel as 'COMPLETE' | 'NONE' });
    }
    this.trust.pluginReport(plugin, entries, this.now());
  }

  private refuse(kind: string, reason: string): void {
    if (this.loggedRefusals.has(kind)) return;
    this.loggedRefusals.add(kind);
    this.log.warn({ kind, reason }, 'inbound message refused (further refusals of this kind are not logged)');
  }
}

function validId(id: string): boolean {
  return id.length > 0 && Buffer.byteLength(id, 'utf8') <= MAX_ID_BYTES;
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
