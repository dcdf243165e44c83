// sd_watchdog_enabled(3)'s reading of the environment: half of WATCHDOG_USEC, only for the named process.
import { describe, expect, it } from 'vitest';
import { watchdogIntervalMs } from '../../src/systemd/notify.js';

describe('watchdogIntervalMs', () => {
  it.each([
    [{}, 100, undefined],
    [{ WATCHDOG_USEC: '30000000' }, 100, 15_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '100' }, 100, 15_000],
    [{ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '99' }, 100, undefined],
    [{ WATCHDOG_USEC: '0' }, 100, undefined],
    [{ WATCHDOG_USEC: 'soon' }, 100, undefined],
    [{ WATCHDOG_USEC: '1500' }, 100, 1],
  ])('%j for pid %i -> %s', (env, pid, expected) => {
    expect(watchdogIntervalMs(env, pid)).toBe(expected);
  });
});
