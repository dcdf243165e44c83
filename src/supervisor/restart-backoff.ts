// How long to wait before an automatic restart, and when to give up (CONTRACT section 7). Pure: time is passed in.

export interface RestartLimits {
  /** Delay before the first restart within the window. */
  restartDelayMs: number;
  /** The exponential back-off never waits longer than this. */
  backoffMaxMs: number;
  /** More restarts than this within `restartWindowMs` make the service FAILED. */
  maxRestarts: number;
  restartWindowMs: number;
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number }
  | { action: 'give-up'; restartsInWindow: number };

/**
 * One notion drives both rules: the automatic restarts made within the last `restartWindowMs`.
 * The n-th of them (attempt n) waits restartDelayMs * 2^(n-1), capped at backoffMaxMs; one more than
 * `maxRestarts` is refused (give up). The back-off thus resets by itself once old restarts leave the
 * window, and a service that flaps (seen UP for a moment, then down again) cannot dodge it.
 */
export class RestartBackoff {
  private times: number[] = [];

  constructor(private readonly limits: RestartLimits) {}

  /** What to do about a service found DOWN at `now`. */
  decide(now: number): RestartDecision {
    const made = this.inWindow(now);
    if (made >= this.limits.maxRestarts) return { action: 'give-up', restartsInWindow: made };
    // The exponent is capped so that 2 ** n stays finite (0 * Infinity would be NaN).
    const factor = 2 ** Math.min(made, 40);
    const delayMs = Math.min(this.limits.backoffMaxMs, this.limits.restartDelayMs * factor);
    return { action: 'restart', delayMs, attempt: made + 1 };
  }

  /** A restart was made at `now`; returns its attempt number within the window. */
  recorded(now: number): number {
    this.prune(now);
    this.times.push(now);
    return this.times.length;
  }

  /** An operator started the service: past restarts no longer count against it. */
  reset(): void {
    this.times = [];
  }

  /** Restarts made within the window ending at `now`. */
  inWindow(now: number): number {
    this.prune(now);
    return this.times.length;
  }

  private prune(now: number): void {
    const from = now - this.limits.restartWindowMs;
    let drop = 0;
    while (drop < this.times.length && this.times[drop] <= from) drop += 1;
    if (drop > 0) this.times = this.times.slice(drop);
  }
}
