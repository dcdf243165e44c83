import { describe, expect, it } from 'vitest';
import { TimingWheel } from '../../src/trust/timing-wheel.js';

const T0 = 1_700_000_000_000;

/** Runs the wheel to `now`, returning the indexes that came due, in order. */
function due(wheel: TimingWheel, now: number): number[] {
  const out: number[] = [];
  wheel.advance(now, (i) => out.push(i));
  return out;
}

describe('TimingWheel', () => {
  it('fires an entry on the first tick at or after its deadline, never before', () => {
    const wheel = new TimingWheel(100, 10_000, T0);
    wheel.schedule(1, T0 + 1_050);
    expect(due(wheel, T0 + 1_049)).toEqual([]);
    expect(due(wheel, T0 + 1_099)).toEqual([]);
    expect(due(wheel, T0 + 1_100)).toEqual([1]);
    expect(wheel.has(1)).toBe(false);
    expect(due(wheel, T0 + 5_000)).toEqual([]);
  });

  it('fires entries of one slot and of later slots in tick order', () => {
    const wheel = new TimingWheel(100, 10_000, T0);
    wheel.schedule(3, T0 + 300);
    wheel.schedule(1, T0 + 100);
    wheel.schedule(2, T0 + 100);
    wheel.schedule(4, T0 + 150);
    const fired = due(wheel, T0 + 1_000);
    expect(new Set(fired.slice(0, 2))).toEqual(new Set([1, 2]));
    expect(fired.slice(2)).toEqual([4, 3]);
  });

  it('puts a deadline already passed into the next tick to run', () => {
    const wheel = new TimingWheel(100, 10_000, T0);
    due(wheel, T0 + 5_000);
    wheel.schedule(7, T0 + 10);
    expect(due(wheel, T0 + 5_000)).toEqual([]);
    expect(due(wheel, T0 + 5_100)).toEqual([7]);
  });

  it('ignores a second schedule of an entry already in (lazy: the owner reschedules when it comes due)', () => {
    const wheel = new TimingWheel(100, 10_000, T0);
    wheel.schedule(5, T0 + 200);
    wheel.schedule(5, T0 + 9_000);
    expect(due(wheel, T0 + 200)).toEqual([5]);
    expect(due(wheel, T0 + 9_000)).toEqual([]);
  });

  it('lets the due handler reschedule the entry it is called for', () => {
    const wheel = new TimingWheel(100, 1_000, T0);
    const deadline = T0 + 700;
    wheel.schedule(0, T0 + 200);
    const calls: number[] = [];
    let now = T0;
    const handler = (i: number): void => {
      calls.push(now);
      if (deadline > now) wheel.schedule(i, deadline);
    };
    for (now = T0 + 100; now <= T0 + 1_000; now += 100) wheel.advance(now, handler);
    expect(calls).toEqual([T0 + 200, T0 + 700]);
    expect(wheel.has(0)).toBe(false);
  });

  it('keeps deadlines beyond one turn of the ring for a later turn', () => {
    const wheel = new TimingWheel(100, 1_000, T0); // 64 slots: one turn is 6.4 s
    const deadline = T0 + 20_000;
    wheel.schedule(9, deadline);
    let firedAt = -1;
    for (let now = T0; now <= T0 + 30_000; now += 100) {
      wheel.advance(now, (i) => {
        if (deadline > now) wheel.schedule(i, deadline);
        else firedAt = now;
      });
    }
    expect(firedAt).toBe(deadline);
  });

  it('visits every entry once when time jumps further than a whole turn', () => {
    const wheel = new TimingWheel(100, 1_000, T0);
    for (let i = 0; i < 50; i++) wheel.schedule(i, T0 + 100 * (i + 1));
    wheel.schedule(50, T0 + 60_000);
    const fired = due(wheel, T0 + 30_000);
    expect(fired.sort((a, b) => a - b)).toEqual(Array.from({ length: 51 }, (_, i) => i));
  });

  it('grows without losing scheduled entries', () => {
    const wheel = new TimingWheel(100, 10_000, T0, 4);
    wheel.schedule(2, T0 + 100);
    wheel.ensureCapacity(5000);
    wheel.schedule(4999, T0 + 100);
    expect(wheel.capacity).toBeGreaterThanOrEqual(5000);
    expect(new Set(due(wheel, T0 + 100))).toEqual(new Set([2, 4999]));
  });
});
