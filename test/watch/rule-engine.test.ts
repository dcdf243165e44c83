// The rules engine (CONTRACT section 15) on a fake clock, with its states in a real LevelDB store in a temp
// directory: PENDING/FIRING/RESOLVED, hysteresis, the sliding action budget, and states that survive a restart.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FakeClock } from '../../src/clock.js';
import type { AlertEvent } from '../../src/events.js';
import { LevelStore } from '../../src/store/level-store.js';
import { RuleEngine, type StoredRuleState } from '../../src/watch/rule-engine.js';
import { StoreRuleMemory } from '../../src/watch/rule-memory.js';
import { rulesConfigSchema, type Rule } from '../../src/watch/watch-config.js';
import { configSchema } from '../../src/config/schema.js';

const log = pino({ level: 'silent' });
const MB = 1024 * 1024;

const rule = (over: Partial<Rule> = {}): Rule => rulesConfigSchema.parse([{ name: 'mem', service: 'svc', metric: 'memoryBytes', above: 100 * MB, forMs: 30_000, action: 'restart', ...over }])[0];

describe('RuleEngine', () => {
  const dirs: string[] = [];
  const stores: LevelStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function rig(rules: Rule[], dir?: string, clock = new FakeClock()) {
    const location = dir ?? mkdtempSync(join(tmpdir(), 'sma-rules-'));
    if (!dir) dirs.push(location);
    const store = await LevelStore.open(location);
    stores.push(store);
    const events: AlertEvent[] = [];
    const acted: string[] = [];
    const engine = new RuleEngine({
      rules,
      clock,
      memory: new StoreRuleMemory(store.section<StoredRuleState>('rules')),
      act: async (action, name) => void acted.push(`${action} ${name}`),
      emit: (e) => events.push(e),
      pendingGraceMs: 600_000,
      log,
    });
    await engine.start();
    /** One sample every 10 s of `mb` MB for svc. */
    const feed = async (...mbs: number[]): Promise<void> => {
      for (const mb of mbs) {
        clock.advance(10_000);
        await engine.observe(new Map([['svc', { memoryBytes: mb * MB }]]), clock.now());
      }
    };
    const types = (): string[] => events.map((e) => e.type);
    return { engine, events, acted, feed, types, clock, location, store };
  }

  it('fires once the condition has held for forMs, acts once, resolves past the threshold', async () => {
    const r = await rig([rule()]);
    await r.feed(50, 150, 150, 150);
    expect(r.types()).toEqual(['PENDING']);
    expect(r.engine.list()).toMatchObject([{ rule: 'mem', name: 'svc', state: 'PENDING', actions: 0 }]);
    await r.feed(150);
    expect(r.types()).toEqual(['PENDING', 'FIRING', 'ACTION']);
    expect(r.events[2]).toMatchObject({ rule: 'mem', name: 'svc', metric: 'memoryBytes', value: 150 * MB, threshold: 100 * MB, action: 'restart' });
    await r.feed(160, 170);
    expect(r.acted).toEqual(['restart svc']);
    await r.feed(40);
    expect(r.types()).toEqual(['PENDING', 'FIRING', 'ACTION', 'RESOLVED']);
    expect(r.engine.list()).toMatchObject([{ state: 'INACTIVE', actions: 1 }]);
  });

  it('does not fire on a spike shorter than forMs (nor on one sample)', async () => {
    const r = await rig([rule()]);
    await r.feed(150, 150, 150, 50, 150, 50);
    expect(r.types()).toEqual(['PENDING', 'RESOLVED', 'PENDING', 'RESOLVED']);
    expect(r.acted).toEqual([]);
  });

  it('stays FIRING between clearAt and the threshold (hysteresis)', async () => {
    const r = await rig([rule({ clearAt: 80 * MB, action: 'alert' })]);
    await r.feed(150, 150, 150, 150, 90, 150, 90);
    expect(r.types()).toEqual(['PENDING', 'FIRING', 'ACTION']);
    await r.feed(79);
    expect(r.types().at(-1)).toBe('RESOLVED');
  });

  it('spends a sliding budget: the third FIRING in the window gives up, and room comes back', async () => {
    const r = await rig([rule({ forMs: 0, maxActions: 2, actionWindowMs: 600_000 })]);
    await r.feed(150, 50, 150, 50, 150);
    expect(r.types()).toEqual(['PENDING', 'FIRING', 'ACTION', 'RESOLVED', 'PENDING', 'FIRING', 'ACTION', 'RESOLVED', 'PENDING', 'FIRING', 'GAVE_UP']);
    expect(r.acted).toEqual(['restart svc', 'restart svc']);
    // Given up: still FIRING, no more actions while it holds.
    await r.feed(150, 150);
    expect(r.acted).toHaveLength(2);
    // Resolved and the window has passed: acts again.
    await r.feed(50);
    r.clock.advance(600_000);
    await r.feed(150);
    expect(r.acted).toHaveLength(3);
    expect(r.types().at(-1)).toBe('ACTION');
  });

  it('keeps a FIRING rule FIRING across a restart, with no second event or action', async () => {
    const a = await rig([rule()]);
    await a.feed(150, 150, 150, 150);
    expect(a.types()).toContain('FIRING');
    await a.engine.close();
    await a.store.close();
    stores.splice(stores.indexOf(a.store), 1);
    const b = await rig([rule()], a.location, a.clock);
    expect(b.engine.list()).toMatchObject([{ state: 'FIRING', actions: 1 }]);
    await b.feed(150, 150);
    expect(b.events).toEqual([]);
    expect(b.acted).toEqual([]);
    await b.feed(50);
    expect(b.types()).toEqual(['RESOLVED']);
  });

  it('keeps a PENDING rule PENDING across a restart, even after a crash (no close)', async () => {
    const a = await rig([rule()]);
    await a.feed(150, 150);
    await a.store.close();
    stores.splice(stores.indexOf(a.store), 1);
    const b = await rig([rule()], a.location, a.clock);
    expect(b.engine.list()).toMatchObject([{ state: 'PENDING' }]);
    await b.feed(150, 150);
    // Held since the first sample before the restart: 30 s after it, FIRING; no second PENDING.
    expect(b.types()).toEqual(['FIRING', 'ACTION']);
  });

  it('a PENDING the agent has not seen for longer than the grace starts over', async () => {
    const a = await rig([rule()]);
    await a.feed(150, 150);
    await a.engine.close();
    await a.store.close();
    stores.splice(stores.indexOf(a.store), 1);
    a.clock.advance(3_600_000);
    const b = await rig([rule()], a.location, a.clock);
    expect(b.engine.list()).toMatchObject([{ state: 'INACTIVE' }]);
  });

  it('watches every service for `*`, one state each, and lists a named rule before its first sample', async () => {
    const r = await rig([rule({ name: 'any', service: '*', action: 'alert' }), rule({ name: 'named', service: 'other' })]);
    await r.engine.observe(new Map([['a', { memoryBytes: 1 }], ['b', { memoryBytes: 200 * MB }]]), r.clock.now());
    expect(r.engine.list().map((a) => [a.rule, a.name, a.state])).toEqual([
      ['any', 'a', 'INACTIVE'],
      ['any', 'b', 'PENDING'],
      ['named', 'other', 'INACTIVE'],
    ]);
  });
});

describe('rules configuration', () => {
  const issues = (rules: unknown): string[] => {
    const parsed = configSchema.safeParse({ rules });
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const ok = { name: 'mem', service: '*', metric: 'memoryBytes', above: 1, action: 'restart' };

  it.each([
    [[{ ...ok, metric: 'disk' }], /^rules\.0\.metric: /],
    [[{ ...ok, action: 'reboot' }], /^rules\.0\.action: /],
    [[{ ...ok, above: '100MB' }], /^rules\.0\.above: Expected number/],
    [[ok, { ...ok }], /^rules\.1\.name: duplicate rule name mem/],
    [[{ ...ok, above: undefined }], /^rules\.0\.above: give exactly one of above and below/],
    [[{ ...ok, clearAt: 2 }], /^rules\.0\.clearAt: /],
    [[{ ...ok, name: 'a/b' }], /^rules\.0\.name: /],
    [[{ ...ok, extra: 1 }], /^rules\.0: Unrecognized key/],
  ])('refuses %j with the path', (rules, message) => {
    expect(issues(rules).join('\n')).toMatch(message);
  });

  it('takes a good rule with its defaults', () => {
    expect(issues([ok])).toEqual([]);
    expect(rulesConfigSchema.parse([ok])[0]).toMatchObject({ forMs: 30_000, maxActions: 3, actionWindowMs: 3_600_000 });
  });
});
