import { describe, expect, it } from 'vitest';
import { RestartBackoff, type RestartDecision, type RestartLimits } from '../../src/supervisor/restart-backoff.js';

const limits: RestartLimits = { restartDelayMs: 1000, backoffMaxMs: 6000, maxRestarts: 5, restartWindowMs: 60_000 };

/** Each row: restarts already made (at these times), then what `decide` says at `now`. */
const rows: Array<{ why: string; limits?: Partial<RestartLimits>; made: number[]; now: number; expect: RestartDecision }> = [
  { why: 'first restart waits restartDelayMs', made: [], now: 0, expect: { action: 'restart', delayMs: 1000, attempt: 1 } },
  { why: 'second doubles', made: [0], now: 10, expect: { action: 'restart', delayMs: 2000, attempt: 2 } },
  { why: 'third doubles again', made: [0, 10], now: 20, expect: { action: 'restart', delayMs: 4000, attempt: 3 } },
  { why: 'fourth is capped at backoffMaxMs', made: [0, 10, 20], now: 30, expect: { action: 'restart', delayMs: 6000, attempt: 4 } },
  { why: 'fifth still allowed (maxRestarts = 5)', made: [0, 10, 20, 30], now: 40, expect: { action: 'restart', delayMs: 6000, attempt: 5 } },
  { why: 'a sixth within the window gives up', made: [0, 10, 20, 30, 40], now: 50, expect: { action: 'give-up', restartsInWindow: 5 } },
  { why: 'restarts older than the window no longer count', made: [0, 10, 20, 30, 40], now: 60_025, expect: { action: 'restart', delayMs: 4000, attempt: 3 } },
  { why: 'a restart exactly one window ago has left it', made: [0], now: 60_000, expect: { action: 'restart', delayMs: 1000, attempt: 1 } },
  { why: 'maxRestarts 0 gives up at once', limits: { maxRestarts: 0 }, made: [], now: 0, expect: { action: 'give-up', restartsInWindow: 0 } },
  { why: 'restartDelayMs 0 never waits', limits: { restartDelayMs: 0 }, made: [0, 1, 2], now: 3, expect: { action: 'restart', delayMs: 0, attempt: 4 } },
  {
    why: 'a huge count stays finite (capped)',
    limits: { maxRestarts: 2000 },
    made: Array.from({ length: 1500 }, (_, i) => i),
    now: 1500,
    expect: { action: 'restart', delayMs: 6000, attempt: 1501 },
  },
];

describe('RestartBackoff', () => {
  it.each(rows)('$why', (row) => {
    const policy = new RestartBackoff({ ...limits, ...row.limits });
    for (const at of row.made) policy.recorded(at);
    expect(policy.decide(row.now)).toEqual(row.expect);
  });

  it('recorded() numbers attempts within the window', () => {
    const policy = new RestartBackoff(limits);
    expect([policy.recorded(0), policy.recorded(1), policy.recorded(2)]).toEqual([1, 2, 3]);
    expect(policy.recorded(60_000)).toBe(3); // the one at 0 left the window
    expect(policy.inWindow(60_000)).toBe(3);
    expect(policy.inWindow(120_000)).toBe(0);
  });

  it('reset() forgets every restart (an operator started the service)', () => {
    const policy = new RestartBackoff(limits);
    for (let i = 0; i < 5; i += 1) policy.recorded(i);
    expect(policy.decide(10).action).toBe('give-up');
    policy.reset();
    expect(policy.decide(10)).toEqual({ action: 'restart', delayMs: 1000, attempt: 1 });
  });
});
