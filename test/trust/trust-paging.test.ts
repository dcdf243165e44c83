// trust.get over a large fleet answers in pages by instance id, so no reply has to carry a million rows.
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './tracker-harness.js';

describe('TrustTracker.query paging', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('walks the whole fleet in pages, each device once, in instance-id order', async () => {
    h = await startHarness();
    const ids = Array.from({ length: 25 }, (_, i) => `dev-${i}`);
    for (const id of ids) h.tracker.beat(id, h.clock.now());
    const seen: string[] = [];
    const pages: number[] = [];
    for (let after = -1; ; ) {
      const page = h.tracker.query({ limit: 10, after });
      pages.push(page.length);
      seen.push(...page.map((v) => v.id));
      if (page.length < 10) break;
      after = page[page.length - 1].instanceId;
    }
    expect(pages).toEqual([10, 10, 5]);
    expect(seen).toEqual(ids);
  });

  it('pages a level filter too, and one instance by `after: id - 1, limit: 1`', async () => {
    h = await startHarness({ health: new Map([['p', 'UP']]) });
    for (let i = 0; i < 12; i++) h.tracker.beat(`d${i}`, h.clock.now());
    h.tracker.pluginReport('p', [3, 7, 11].map((i) => ({ deviceId: `d${i}`, trustLevel: 'NONE' as const })), h.clock.now());
    await h.advance(10);
    expect(h.tracker.query({ level: 'NONE', limit: 2 }).map((v) => v.id)).toEqual(['d3', 'd7']);
    expect(h.tracker.query({ level: 'NONE', limit: 2, after: 7 }).map((v) => v.id)).toEqual(['d11']);
    const one = h.tracker.query({ after: 4, limit: 1 });
    expect(one.map((v) => [v.id, v.instanceId])).toEqual([['d5', 5]]);
  });
});
