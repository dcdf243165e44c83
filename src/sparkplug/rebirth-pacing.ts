// Rebirths on request (NCMD `Node Control/Rebirth`), paced. Each rebirth republishes NBIRTH and every DBIRTH
// (ten thousand messages on a gateway that tracks ten thousand devices), and anyone the broker lets publish
// NCMD can ask for one in a loop. A request is never dropped: the host must end up with births that started
// after its last request, since it ignores DATA until it has them. Requests are merged instead: one made while
// a rebirth runs, or within `minIntervalMs` of the last rebirth's start, is answered by the one rebirth that
// follows once the interval is over; any birth that starts after a request (a session's own, at CONNECT or
// when the primary host comes online) answers it too. Rebirths on request are thus at most one per interval.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';

/** `sparkplug.rebirthMinIntervalMs`'s default. */
export const DEFAULT_REBIRTH_MIN_INTERVAL_MS = 5_000;

export interface RebirthPacingOptions {
  minIntervalMs: number;
  clock: Clock;
  /** Runs one rebirth in the session's queue; resolves once it is published (or skipped: no session born). */
  rebirth: () => Promise<void>;
  log: Logger;
}

export class RebirthPacing {
  /** Requests received, and how many of them a birth that started after them has answered. */
  private requested = 0;
  private answered = 0;
  private lastRebirthAt?: number;
  private running = false;
  private cancelTimer?: () => void;
  private stopped = false;

  constructor(private readonly o: RebirthPacingOptions) {}

  request(): void {
    this.requested += 1;
    this.schedule();
  }

  /** A birth starts (on request or the session's own): every request received so far is answered by it. */
  birthStarting(): void {
    this.answered = this.requested;
    // Only rebirths on request count toward the interval (a session's own births come at CONNECT and host online).
    if (this.running) this.lastRebirthAt = this.o.clock.now();
  }

  /** Whether a request waits for a birth (a session birth since may have answered it: no rebirth then). */
  waiting(): boolean {
    return this.answered < this.requested;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private schedule(): void {
    // One rebirth running or one waiting is what every further request joins.
    if (this.stopped || this.running || this.cancelTimer || this.answered === this.requested) return;
    const waitMs = this.lastRebirthAt === undefined ? 0 : this.lastRebirthAt + this.o.minIntervalMs - this.o.clock.now();
    if (waitMs <= 0) return void this.run();
    this.o.log.info({ waitMs, minIntervalMs: this.o.minIntervalMs }, 'sparkplug rebirth deferred: requests within rebirthMinIntervalMs are merged into the next one');
    this.cancelTimer = this.o.clock.setTimeout(() => {
      this.cancelTimer = undefined;
      void this.run();
    }, waitMs);
  }

  private async run(): Promise<void> {
    if (this.stopped || this.answered === this.requested) return;
    const upTo = this.requested;
    const merged = upTo - this.answered;
    this.running = true;
    try {
      await this.o.rebirth();
    } finally {
      this.running = false;
    }
    if (merged > 1) this.o.log.info({ requests: merged }, 'sparkplug rebirth answered merged requests');
    // Skipped (no session born): the next session's own births follow every request made before them.
    this.answered = Math.max(this.answered, upTo);
    this.schedule();
  }
}
