import { describe, expect, it } from 'vitest';
import { FakeClock, type Clock } from '../../src/clock.js';
import { DeadlineHeap } from '../../src/timing/deadline-heap.js';

/** A FakeClock that counts the timers armed, to show the queue uses one timer, not one per key. */
class CountingClock extends FakeClock {
  armed = 0;
  override setTimeout(fn: () => void, ms: number): () => void {
    this.armed += 1;
    return super.setTimeout(fn, ms);
  }
}

function queue(clock: Clock): { q: DeadlineHeap; fired: Array<[string, number]> } {
  const fired: Array<[string, number]> = [];
  const q = new DeadlineHeap(clock, (key) => fired.push([key, clock.now()]));
  return { q, fired };
}

describe('DeadlineHeap', () => {
  it('fires keys in deadline order, ties in scheduling order', () => {
    const clock = new FakeClock(0);
    const { q, fired } = queue(clock);
    q.schedule('c', 300);
    q.schedule('a', 100);
    q.schedule('b', 100);
    q.schedule('d', 50);
    clock.advance(1000);
    expect(fired).toEqual([
      ['d', 50],
      ['a', 100],
      ['b', 100],
      ['c', 300],
    ]);
    expect(q.size).toBe(0);
  });

  it('scheduling a key again replaces its deadline; cancel drops it', () => {
    const clock = new FakeClock(0);
    const { q, fired } = queue(clock);
    q.schedule('a', 100);
    q.schedule('a', 500);
    q.schedule('b', 200);
    q.cancel('b');
    expect(q.has('b')).toBe(false);
    expect(q.dueAt('a')).toBe(500);
    clock.advance(1000);
    expect(fired).toEqual([['a', 500]]);
  });

  it('a handler may schedule more, including at once', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const q = new DeadlineHeap(clock, (key) => {
      fired.push(`${key}@${clock.now()}`);
      if (key === 'x') q.schedule('y', clock.now());
      if (key === 'y') q.schedule('z', clock.now() + 10);
    });
    q.schedule('x', 5);
    clock.advance(100);
    expect(fired).toEqual(['x@5', 'y@5', 'z@15']);
  });

  it('keeps one timer for many keys, and stale entries do not pile up', () => {
    const clock = new CountingClock(0);
    const { q, fired } = queue(clock);
    for (let i = 0; i < 1000; i += 1) q.schedule(`k${i}`, 1000 + i);
    expect(clock.armed).toBe(1);
    for (let round = 0; round < 50; round += 1) for (let i = 0; i < 1000; i += 1) q.schedule(`k${i}`, 2000 + round + i);
    expect((q as unknown as { heap: unknown[] }).heap.length).toBeLessThanOrEqual(2 * 1000 + 64 + 1);
    clock.advance(10_000);
    expect(fired).toHaveLength(1000);
    expect(fired[0]).toEqual(['k0', 2049]);
  });

  it('a throwing handler does not stop later deadlines', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const q = new DeadlineHeap(clock, (key) => {
      fired.push(key);
      if (key === 'bad') throw new Error('handler bug');
    });
    q.schedule('bad', 10);
    q.schedule('good', 20);
    expect(() => clock.advance(15)).toThrow('handler bug');
    clock.advance(100);
    expect(fired).toEqual(['bad', 'good']);
  });

  it('close() drops everything', () => {
    const clock = new FakeClock(0);
    const { q, fired } = queue(clock);
    q.schedule('a', 10);
    q.close();
    q.schedule('b', 10);
    clock.advance(100);
    expect(fired).toEqual([]);
  });
});
