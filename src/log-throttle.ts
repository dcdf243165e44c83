// Bad input from outside is logged, but a client that keeps sending it must not fill a gateway's SD card:
// at most `perWindow` lines per window, then one line saying how many more were refused.
import type { Logger } from 'pino';
import type { Clock } from './clock.js';

export class LogThrottle {
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number,
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  static of(log: Logger, clock: Pick<Clock, 'now'>): LogThrottle {
    return new LogThrottle(log, () => clock.now());
  }

  warn(fields: object, message: string): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.log.warn({ suppressed: this.suppressed, windowMs: this.windowMs }, `${message}: ${this.suppressed} more not logged`);
      this.windowStart = now;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged < this.perWindow) {
      this.logged++;
      this.log.warn(fields, message);
    } else {
      this.suppressed++;
    }
  }
}
