// Validation of what devices and plugins send (CONTRACT section 5): pure functions that give the parsed
// value or one line saying why it was refused. The MQTT front calls them before anything reaches the tracker.
import { z } from 'zod/v3';
import { SERVICE_NAME } from '../model.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const MAX_DEVICE_ID_BYTES = 128;
/** A device id becomes one topic level of R/event/trust/{id}: no level separator, wildcard or NUL. */
const FORBIDDEN_IN_ID = /[/+#\u0000]/;
const MAX_ENTRIES = 1_000_000;

/** 1..128 UTF-8 bytes, usable as one MQTT topic level. Cheap enough for every heartbeat. */
export function isValidDeviceId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_DEVICE_ID_BYTES) return false;
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no byte count.
  if (id.length * 3 > MAX_DEVICE_ID_BYTES && Buffer.byteLength(id, 'utf8') > MAX_DEVICE_ID_BYTES) return false;
  return !FORBIDDEN_IN_ID.test(id);
}

export function isValidPluginName(name: string): boolean {
  return SERVICE_NAME.test(name);
}

const deviceId = z
  .string()
  .refine(isValidDeviceId, { message: 'device id must be 1..128 UTF-8 bytes without "/", "+", "#" or NUL' });
const pluginName = z.string().refine(isValidPluginName, { message: 'plugin must be a service name (^[a-z0-9][a-z0-9._-]{0,62}$)' });
const trustLevel = z.enum(['COMPLETE', 'NONE']);

const deviceSetSchema = z.object({
  devices: z
    .array(z.object({ id: deviceId, properties: z.record(z.string(), z.unknown()).optional() }))
    .max(MAX_ENTRIES),
});
const trustReportSchema = z.array(z.object({ deviceId, trustLevel })).max(MAX_ENTRIES);
const heartbeatSchema = z.object({ plugin: pluginName.optional() });

export type DeviceSet = z.infer<typeof deviceSetSchema>;
export type TrustReport = z.infer<typeof trustReportSchema>;
export interface DeviceHeartbeat {
  plugin?: string;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown): Parsed<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  const more = result.error.issues.length > 3 ? `; and ${result.error.issues.length - 3} more` : '';
  return { ok: false, error: issues.join('; ') + more };
}

/** `R/plugin/{name}/devices`: the plugin's full device set (already decoded from JSON or CBOR). */
export function parseDeviceSet(value: unknown): Parsed<DeviceSet> {
  return parseWith(deviceSetSchema, value);
}

/** `R/plugin/{name}/trust`: the plugin's own word on its devices' levels. */
export function parseTrustReport(value: unknown): Parsed<TrustReport> {
  return parseWith(trustReportSchema, value);
}

/**
 * `R/heartbeat/device/{id}`: every payload is a heartbeat (empty is fine); a JSON object's `plugin` ties the
 * device to that plugin. Refused: a JSON object whose `plugin` is not a service name, and a bad id.
 */
export function parseDeviceHeartbeat(deviceIdFromTopic: string, payload: Uint8Array | string): Parsed<DeviceHeartbeat> {
  if (!isValidDeviceId(deviceIdFromTopic)) return { ok: false, error: 'device id must be 1..128 UTF-8 bytes without "/", "+", "#" or NUL' };
  if (payload.length === 0) return { ok: true, value: {} };
  const text = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  if (!text.trimStart().startsWith('{')) return { ok: true, value: {} };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON after all: still a heartbeat, just one that ties the device to nothing.
    return { ok: true, value: {} };
  }
  const parsed = parseWith(heartbeatSchema, body);
  if (!parsed.ok) return parsed;
  return { ok: true, value: parsed.value.plugin === undefined ? {} : { plugin: parsed.value.plugin } };
}
