// Device trust changes in the log at info, summarised: a thousand devices falling silent together is one line
// per level and second ("1000 devices turned NONE"), a single device is one line naming it. The events
// themselves go out unchanged (MQTT, LwM2M); this only tells the person reading the log.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SmaEvent } from '../events.js';
import type { TrustLevel } from '../model.js';

/** How many device ids a summary line names, so that it stays one readable line. */
const EXAMPLES = 5;

interface Tally {
  devices: number;
  examples: string[];
  reasons: Record<string, number>;
}

export class TrustChangeLog {
  private tallies = new Map<TrustLevel, Tally>();
  private cancel: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly d: { subscribe: (listener: (e: SmaEvent) => void) => () => void; clock: Clock; log: Logger; windowMs?: number },
  ) {}

  start(): void {
    this.unsubscribe = this.d.subscribe((e) => {
      if (e.kind === 'trust') this.count(e.to, e.deviceId, e.reason);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.flush();
  }

  private count(level: TrustLevel, deviceId: string, reason: string): void {
    let tally = this.tallies.get(level);
    if (!tally) this.tallies.set(level, (tally = { devices: 0, examples: [], reasons: Object.create(null) as Record<string, number> }));
    tally.devices += 1;
    if (tally.examples.length < EXAMPLES) tally.examples.push(deviceId);
    tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
    this.cancel ??= this.d.clock.setTimeout(() => this.flush(), this.d.windowMs ?? 1_000);
  }

  // The field is trustLevel: `level` is pino's own, and a second one made the line's level "NONE" (USERLVL when pretty).
  private flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    for (const [level, t] of this.tallies) {
      if (t.devices === 1) this.d.log.info({ device: t.examples[0], trustLevel: level, reason: Object.keys(t.reasons)[0] }, `device ${t.examples[0]} turned ${level}`);
      else this.d.log.info({ trustLevel: level, devices: t.devices, reasons: t.reasons, examples: t.examples }, `${t.devices} devices turned ${level}`);
    }
    this.tallies.clear();
  }
}
