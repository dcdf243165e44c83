// The primary host application's STATE (specification 3.0, 5.x "Sparkplug Host Application session"):
// retained JSON {"online": boolean, "timestamp": ms} on spBv1.0/STATE/{host id}. A message whose timestamp
// is older than the last one seen is a stale retained copy or a replay, and changes nothing.
import { z } from 'zod/v3';

const stateSchema = z.object({ online: z.boolean(), timestamp: z.number().int().nonnegative() });

export type HostVerdict =
  | { kind: 'online'; timestamp: number }
  | { kind: 'offline'; timestamp: number }
  | { kind: 'bad'; reason: string }
  | { kind: 'older'; timestamp: number; last: number };

/** STATE payloads are a few dozen bytes; anything much longer is not one. */
const MAX_STATE_BYTES = 1024;

export class HostStateWatch {
  private last = -1;

  /** The host's last known state, as the last accepted STATE said. */
  online = false;

  judge(payload: Buffer): HostVerdict {
    if (payload.length > MAX_STATE_BYTES) return { kind: 'bad', reason: `${payload.length} bytes` };
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return { kind: 'bad', reason: 'not JSON' };
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) return { kind: 'bad', reason: 'not {"online": boolean, "timestamp": integer}' };
    const { online, timestamp } = parsed.data;
    if (timestamp < this.last) return { kind: 'older', timestamp, last: this.last };
    this.last = timestamp;
    this.online = online;
    return online ? { kind: 'online', timestamp } : { kind: 'offline', timestamp };
  }
}
