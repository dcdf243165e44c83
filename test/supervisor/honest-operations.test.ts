// CONTRACT section 12's last bullet and section 7's start grace, on the supervisor under a fake clock: operations on
// a service nobody here runs answer EXECUTOR_FAILED and change nothing; a start of what runs is a no-op; after a
// (re)start health is UNKNOWN until an early first check; misses within the start grace do not count.
import { describe, expect, it } from 'vitest';
import { ServiceExecutors } from '../../src/executor/service-executors.js';
import type { FakeExecutor } from './doubles.js';
import { health, rig } from './supervisor-rig.js';

/** As the agent routes: services with `start` to the (fake) process executor, the rest to no default executor. */
const routed = (fake: FakeExecutor) => new ServiceExecutors({ process: fake, reboot: fake });
const spawned = { command: '/bin/true' };
const NOT_RUN = 'sma-bridge does not run keeper-svc: it was registered without a start command or container';

describe('operations on a service sma-bridge does not run', () => {
  it.each(['stop', 'start', 'restart'] as const)('%s answers EXECUTOR_FAILED and changes nothing', async (action) => {
    const r = await rig([{ name: 'keeper-svc', check: { type: 'process' } }], { 'keeper-svc': true }, health, routed);
    r.executor.alive.set('keeper-svc', undefined); // nobody here owns a process for it: only its check can tell
    const rec = { ...r.rec('keeper-svc'), check: { type: 'heartbeat' as const } };
    r.registry.records.set('keeper-svc', rec);
    r.sup.track(rec);
    r.sup.heartbeat('keeper-svc', r.clock.now());
    await r.tick(0);
    const before = r.sup.view(r.rec('keeper-svc'));
    expect(before).toMatchObject({ status: 'RUNNING', health: 'UP' });
    const events = r.events.all.length;
    const checked = r.sup.health(r.rec('keeper-svc')).checkedAt;

    const item = await r.sup[action](r.rec('keeper-svc'));
    expect(item).toEqual({ name: 'keeper-svc', result: 'FAILED', status: 'RUNNING', error: { code: 'EXECUTOR_FAILED', message: NOT_RUN } });
    expect(r.sup.view(r.rec('keeper-svc'))).toEqual(before);
    expect(r.rec('keeper-svc')).toMatchObject({ desired: 'RUNNING', failed: false });
    expect(r.registry.updates).toEqual([]);
    expect(r.events.all.length).toBe(events);
    expect(r.executor.calls).toEqual([]);
    // Checks go on as before.
    r.sup.heartbeat('keeper-svc', r.clock.now() + 900);
    await r.tick(1000);
    expect(r.sup.health(r.rec('keeper-svc')).checkedAt).not.toBe(checked);
  });

  it('is not restarted automatically either when its checks find it DOWN', async () => {
    const r = await rig([{ name: 'keeper-svc', check: { type: 'heartbeat' } }], {}, health, routed);
    r.sup.heartbeat('keeper-svc', r.clock.now());
    await r.tick(0);
    expect(r.sup.view(r.rec('keeper-svc')).health).toBe('UP');
    await r.tick(10_000);
    expect(r.sup.view(r.rec('keeper-svc'))).toMatchObject({ health: 'DOWN', status: 'STOPPED' });
    expect(r.executor.calls).toEqual([]);
    expect(r.events.service('RESTART')).toEqual([]);
  });

  it('a service with a start command is still acted on', async () => {
    const r = await rig([{ name: 'own', start: spawned, desired: 'STOPPED' }], { own: false }, health, routed);
    await r.tick(0);
    expect(await r.sup.start(r.rec('own'))).toMatchObject({ result: 'OK' });
    expect(r.executor.callsOf('start', 'own')).toHaveLength(1);
  });
});

describe('start of a RUNNING service', () => {
  it('answers OK RUNNING, calls no executor and sends no event', async () => {
    const r = await rig([{ name: 'a', start: spawned }], { a: true }, health, routed);
    await r.tick(0);
    expect(r.sup.view(r.rec('a')).status).toBe('RUNNING');
    const events = r.events.all.length;
    expect(await r.sup.start(r.rec('a'))).toEqual({ name: 'a', result: 'OK', status: 'RUNNING' });
    await r.tick(500);
    expect(r.events.all.length).toBe(events);
    expect(r.executor.calls).toEqual([]);
    expect(r.registry.updates).toEqual([]);
  });
});

describe('after a start or restart', () => {
  it('health is UNKNOWN until the first check, which comes within ~50 ms; misses are retried until UP', async () => {
    const r = await rig([{ name: 'web', start: spawned, check: { type: 'process' } }], { web: true }, health, routed);
    await r.tick(0);
    expect(r.sup.view(r.rec('web')).health).toBe('UP');
    r.executor.effect.restart = false; // the new process is not up at once
    expect(await r.sup.restart(r.rec('web'))).toMatchObject({ result: 'OK', status: 'STARTING' });
    expect(r.sup.view(r.rec('web')).health).toBe('UNKNOWN');
    expect(r.events.service('HEALTH', 'web').map((e) => e.to)).toEqual(['UP', 'UNKNOWN']);
    const checksBefore = r.sup.counters().checksRun;
    await r.tick(300);
    expect(r.sup.counters().checksRun - checksBefore).toBeGreaterThanOrEqual(3); // 0, 50, 150 ms...
    expect(r.sup.view(r.rec('web')).health).toBe('UNKNOWN'); // the misses did not count
    r.executor.alive.set('web', true);
    await r.tick(400);
    expect(r.sup.view(r.rec('web'))).toMatchObject({ health: 'UP', status: 'RUNNING' });
    // Once UP, back to the usual interval.
    const upChecks = r.sup.counters().checksRun;
    await r.tick(health.intervalMs - 100);
    expect(r.sup.counters().checksRun - upChecks).toBeLessThanOrEqual(1);
  });

  it('start grace (global): a slow boot is not restarted; misses count once the grace is over', async () => {
    const h = { ...health, startGraceMs: 5000 };
    const r = await rig([{ name: 'slow', start: spawned, check: { type: 'process' }, desired: 'STOPPED' }], {}, h, routed);
    r.executor.effect.start = false;
    await r.sup.start(r.rec('slow'));
    await r.tick(4900); // far more than `retries` checks, all inside the grace
    expect(r.sup.view(r.rec('slow'))).toMatchObject({ health: 'UNKNOWN', status: 'STARTING' });
    expect(r.executor.callsOf('restart')).toEqual([]);
    await r.tick(3 * h.intervalMs + 200);
    expect(r.sup.view(r.rec('slow')).health).toBe('DOWN');
  });

  it('start grace (per service) overrides the global one; the first UP ends it', async () => {
    const h = { ...health, startGraceMs: 0 };
    const r = await rig([{ name: 'slow', start: spawned, check: { type: 'process' }, desired: 'STOPPED', startGraceMs: 4500 }], {}, h, routed);
    r.executor.effect.start = false;
    await r.sup.start(r.rec('slow'));
    await r.tick(4400); // misses at 1, 2, 3 and 4 s: DOWN without the grace
    expect(r.sup.view(r.rec('slow')).health).toBe('UNKNOWN');
    r.executor.alive.set('slow', true);
    await r.tick(1000);
    expect(r.sup.view(r.rec('slow')).health).toBe('UP');
    r.executor.alive.set('slow', false); // no grace any more: three misses are DOWN
    await r.tick(3 * h.intervalMs + 200);
    expect(r.sup.view(r.rec('slow')).health).toBe('DOWN');
  });

  it('an exit inside the grace still counts at once', async () => {
    const h = { ...health, startGraceMs: 30_000 };
    const r = await rig([{ name: 'c', start: spawned, check: { type: 'process' }, desired: 'STOPPED' }], {}, h, routed);
    await r.sup.start(r.rec('c'));
    await r.tick(100);
    r.executor.exit('c', 3);
    await r.tick(0);
    expect(r.sup.view(r.rec('c'))).toMatchObject({ health: 'DOWN', exitCode: 3 });
  });
});

/** The rig's fake executor plus an engine the test takes away and brings back (as the Docker executor reports it). */
function withEngine() {
  const engine = {
    up: true,
    listeners: [] as Array<(reachable: boolean, names: string[]) => void>,
    set(up: boolean, names: string[]): void {
      engine.up = up;
      for (const l of engine.listeners) l(up, names);
    },
  };
  const route = (fake: FakeExecutor): FakeExecutor =>
    Object.assign(Object.create(fake) as FakeExecutor, {
      reachable: () => engine.up,
      onReachability: (l: (reachable: boolean, names: string[]) => void) => void engine.listeners.push(l),
    });
  return { engine, route };
}

describe('the engine that runs a service goes away and comes back', () => {
  it('health UNKNOWN at once (no log line per service), misses and pending restarts wait; back: what stopped is restarted', async () => {
    const { engine, route } = withEngine();
    const r = await rig([{ name: 'c', check: { type: 'process' } }], {}, health, route);
    r.executor.alive.set('c', true);
    await r.tick(0);
    expect(r.sup.view(r.rec('c')).health).toBe('UP');
    const logLines = r.lines.length;
    engine.set(false, ['c']);
    expect(r.sup.view(r.rec('c')).health).toBe('UNKNOWN');
    expect(r.lines.slice(logLines).filter((l) => l.service === 'c' && /health changed|is down/.test(String(l.msg)))).toEqual([]);
    r.executor.alive.set('c', false); // the engine stopped its containers on the way out
    await r.tick(10_000); // ten checks: none counts
    expect(r.sup.view(r.rec('c')).health).toBe('UNKNOWN');
    expect(r.executor.calls).toEqual([]);
    engine.set(true, ['c']);
    await r.tick(health.restartDelayMs + 200);
    expect(r.executor.calls.map((c) => c.action)).toEqual(['restart']);
  });
});
