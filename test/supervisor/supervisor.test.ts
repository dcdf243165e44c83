// The supervisor engine's logic under a FakeClock, with the doubles from ./doubles.ts (see there for why).
import { describe, expect, it } from 'vitest';
import { SmaError } from '../../src/errors.js';
import { rig } from './supervisor-rig.js';

describe('Supervisor checks', () => {
  it('reports UNKNOWN until the first check, then follows it', async () => {
    const r = await rig([{ name: 'a' }], { a: true });
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'UNKNOWN', health: 'UNKNOWN' });
    await r.tick(0);
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'RUNNING', health: 'UP', lastCheckAt: new Date(r.t0).toISOString() });
    expect(r.events.service('STATUS', 'a')).toEqual([expect.objectContaining({ from: 'UNKNOWN', to: 'RUNNING' })]);
    expect(r.sup.counters().checksRun).toBe(1);
  });

  it('is DOWN after `retries` misses in a row, with one HEALTH event', async () => {
    const r = await rig([{ name: 'a', restartPolicy: 'never' }], { a: true });
    await r.tick(0);
    r.executor.alive.set('a', false);
    await r.tick(2000); // misses at +1000, +2000
    expect(r.sup.health(r.rec('a')).health).toBe('UP');
    await r.tick(1000); // third miss
    expect(r.sup.health(r.rec('a'))).toMatchObject({ health: 'DOWN', detail: 'process not running' });
    expect(r.sup.view(r.rec('a')).status).toBe('STOPPED');
    await r.tick(10_000);
    expect(r.events.service('HEALTH', 'a').map((e) => e.to)).toEqual(['UP', 'DOWN']);
    expect(r.sup.counters().checksFailed).toBe(13);
  });

  it('does not check halted records, and stops checking an untracked one', async () => {
    const r = await rig([{ name: 'gone', halted: true }, { name: 'b' }], { gone: false, b: true });
    await r.tick(3000);
    expect(r.executor.isAliveAsked).not.toContain('gone');
    expect(r.sup.view(r.rec('gone')).status).toBe('HALT');
    const asked = r.executor.isAliveAsked.length;
    r.sup.untrack('b');
    await r.tick(5000);
    expect(r.executor.isAliveAsked.length).toBe(asked);
  });

  it('never checks (nor restarts) a service with check none', async () => {
    const r = await rig([{ name: 'n', check: { type: 'none' } }]);
    await r.tick(20_000);
    expect(r.sup.view(r.rec('n'))).toMatchObject({ status: 'UNKNOWN', health: 'UNKNOWN' });
    expect(r.sup.counters().checksRun).toBe(0);
    expect(r.executor.calls).toEqual([]);
  });

  it('heartbeat: a beat is UP at once; silence for `retries` intervals is DOWN', async () => {
    const r = await rig([{ name: 'hb', check: { type: 'heartbeat' }, restartPolicy: 'never' }]);
    await r.tick(500);
    r.sup.heartbeat('hb', r.clock.now());
    expect(r.sup.health(r.rec('hb')).health).toBe('UP');
    for (let i = 0; i < 5; i += 1) {
      await r.tick(900);
      r.sup.heartbeat('hb', r.clock.now());
    }
    expect(r.sup.health(r.rec('hb')).health).toBe('UP');
    await r.tick(2900);
    expect(r.sup.health(r.rec('hb')).health).toBe('UP');
    await r.tick(1100);
    expect(r.sup.health(r.rec('hb'))).toMatchObject({ health: 'DOWN' });
    r.sup.heartbeat('unknown-service', r.clock.now()); // ignored, no throw
  });
});

describe('Supervisor restarts', () => {
  it('restarts after restartDelayMs, counts it, persists it and says RESTART', async () => {
    const r = await rig([{ name: 'a' }], { a: false });
    await r.tick(2000); // misses at 0, 1000, 2000: DOWN at +2000
    expect(r.sup.health(r.rec('a')).health).toBe('DOWN');
    // Waiting for the attempt is BACKOFF, with the attempt's time, in the view and in the STATUS event.
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'BACKOFF', nextAttemptAt: new Date(r.t0 + 4000).toISOString() });
    expect(r.events.service('STATUS', 'a').at(-1)).toMatchObject({ to: 'BACKOFF', nextAttemptAt: r.t0 + 4000 });
    await r.tick(1900);
    expect(r.executor.callsOf('restart')).toEqual([]);
    await r.tick(100);
    expect(r.executor.callsOf('restart')).toEqual([r.t0 + 4000]);
    expect(r.events.service('RESTART', 'a')).toEqual([expect.objectContaining({ attempt: 1, at: r.t0 + 4000 })]);
    expect(r.rec('a').restarts).toBe(1);
    expect(r.sup.view(r.rec('a')).restarts).toBe(1);
    expect(r.sup.counters().restarts).toBe(1);
    await r.tick(1000); // the restart brought it back
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'RUNNING', health: 'UP' });
    expect(r.events.service('STATUS', 'a').map((e) => e.to)).toEqual(['BACKOFF', 'STARTING', 'RUNNING']);
    expect(r.sup.view(r.rec('a')).nextAttemptAt).toBeUndefined();
  });

  it('backs off exponentially, then gives up: FAILED, GAVE_UP, no more restarts', async () => {
    const r = await rig([{ name: 'a' }], { a: false });
    r.executor.effect.restart = undefined; // restarts do not help
    await r.tick(30_000);
    // DOWN at +2000 -> restart +2000 later; after a restart the quick checks of its first interval do not count,
    // so each later DOWN takes `retries` misses from one interval on (+3000), then waits 4000, then 5000 (cap).
    expect(r.executor.callsOf('restart').map((t) => t - r.t0)).toEqual([4000, 11_000, 19_000]);
    expect(r.events.service('RESTART').map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(r.events.service('GAVE_UP', 'a')).toEqual([expect.objectContaining({ at: r.t0 + 22_000, attempt: 3 })]);
    expect(r.sup.view(r.rec('a')).status).toBe('FAILED');
    expect(r.rec('a')).toMatchObject({ failed: true, restarts: 3 });
    await r.tick(120_000);
    expect(r.executor.callsOf('restart')).toHaveLength(3);
    expect(r.lines.filter((l) => l.msg === 'gave up restarting; FAILED until an operator starts it')).toHaveLength(1);
  });

  it('an operator start clears FAILED and lets it be restarted again', async () => {
    const r = await rig([{ name: 'a', failed: true, restarts: 7 }], { a: false });
    await r.tick(10_000);
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'FAILED', health: 'DOWN', restarts: 7 });
    expect(r.executor.calls).toEqual([]);
    const item = await r.sup.start(r.rec('a'));
    expect(item).toEqual({ name: 'a', result: 'OK', status: 'STARTING' });
    expect(r.rec('a')).toMatchObject({ failed: false, desired: 'RUNNING' });
    expect(r.executor.callsOf('start', 'a')).toHaveLength(1);
    await r.tick(0); // a process check can tell at once
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'RUNNING', health: 'UP' });
    r.executor.alive.set('a', false);
    await r.tick(6000);
    expect(r.executor.callsOf('restart', 'a')).toHaveLength(1);
  });

  it('a new registration nobody has started is not restarted into life; once it has run, it is', async () => {
    const r = await rig([]);
    r.sup.track(await r.registry.register({ name: 'fresh', check: { type: 'process' } }));
    r.executor.alive.set('fresh', false);
    await r.tick(20_000);
    expect(r.sup.view(r.rec('fresh'))).toMatchObject({ status: 'STOPPED', health: 'DOWN' });
    expect(r.executor.calls).toEqual([]);
    r.executor.alive.set('fresh', true); // it came up by itself
    await r.tick(1000);
    expect(r.sup.health(r.rec('fresh')).health).toBe('UP');
    r.executor.alive.set('fresh', false);
    await r.tick(6000);
    expect(r.executor.callsOf('restart', 'fresh')).toHaveLength(1);
  });

  it('a check that passes before the delay is over cancels the restart', async () => {
    const r = await rig([{ name: 'a' }], { a: false });
    await r.tick(2000);
    expect(r.sup.health(r.rec('a')).health).toBe('DOWN');
    r.executor.alive.set('a', true);
    await r.tick(10_000);
    expect(r.executor.callsOf('restart')).toEqual([]);
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'RUNNING', health: 'UP', restarts: 0 });
  });

  it('neither checks nor restarts a service whose desired state is STOPPED, and logs nothing about it', async () => {
    const r = await rig([{ name: 'a', desired: 'STOPPED' }], { a: false });
    await r.tick(60_000);
    expect(r.executor.calls).toEqual([]);
    expect(r.executor.isAliveAsked).toEqual([]);
    expect(r.sup.counters()).toMatchObject({ checksRun: 0, checksFailed: 0 });
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'STOPPED', health: 'UNKNOWN' });
    expect(r.lines.filter((l) => l.service === 'a' && (l.level as number) >= 30)).toEqual([]);
  });

  it('an operator stop makes it STOPPED, persists the desire, and it is not restarted', async () => {
    const r = await rig([{ name: 'a' }], { a: true });
    await r.tick(0);
    const item = await r.sup.stop(r.rec('a'));
    expect(item).toEqual({ name: 'a', result: 'OK', status: 'STOPPED' });
    expect(r.rec('a').desired).toBe('STOPPED');
    expect(r.events.service('STATUS', 'a').map((e) => `${e.from}>${e.to}`)).toEqual(['UNKNOWN>RUNNING', 'RUNNING>STOPPING', 'STOPPING>STOPPED']);
    await r.tick(60_000);
    expect(r.sup.health(r.rec('a')).health).toBe('DOWN');
    expect(r.executor.callsOf('restart')).toEqual([]);
    expect(r.executor.callsOf('start')).toEqual([]);
  });

  it('a service that stays down says so once in the log, not at every check', async () => {
    const r = await rig([{ name: 'a', restartPolicy: 'never' }], { a: true });
    await r.tick(0);
    r.executor.alive.set('a', false);
    await r.tick(100_000);
    const atInfoOrAbove = r.lines.filter((l) => (l.level as number) >= 30 && l.service === 'a');
    expect(atInfoOrAbove.map((l) => l.msg)).toEqual(['service health changed', 'service status changed', 'service is down', 'service status changed']);
  });

  it('operator restart uses the executor restart and clears FAILED', async () => {
    const r = await rig([{ name: 'a', failed: true }], { a: true });
    await r.tick(0);
    const item = await r.sup.restart(r.rec('a'));
    expect(item.result).toBe('OK');
    expect(r.executor.calls.map((c) => c.action)).toEqual(['restart']);
    expect(r.rec('a').failed).toBe(false);
    expect(r.events.service('RESTART')).toEqual([]); // only automatic restarts are RESTART events
  });
});

describe('Supervisor operator actions', () => {
  it('maps executor failures to FAILED/EXECUTOR_FAILED and time-outs to TIMEOUT', async () => {
    const r = await rig([{ name: 'a' }], { a: true });
    await r.tick(0);
    r.executor.failNext.set('stop', new SmaError('EXECUTOR_FAILED', 'docker says no'));
    expect(await r.sup.stop(r.rec('a'))).toEqual({
      name: 'a',
      result: 'FAILED',
      status: 'RUNNING',
      error: { code: 'EXECUTOR_FAILED', message: 'docker says no' },
    });
    r.executor.failNext.set('restart', new SmaError('TIMEOUT', 'took too long'));
    expect(await r.sup.restart(r.rec('a'))).toMatchObject({ result: 'TIMEOUT', error: { code: 'TIMEOUT', message: 'took too long' } });
    await r.sup.stop(r.rec('a')); // a start of what is RUNNING would not reach the executor
    r.executor.failNext.set('start', new Error('spawn ENOENT'));
    expect(await r.sup.start(r.rec('a'))).toMatchObject({ result: 'FAILED', error: { code: 'EXECUTOR_FAILED', message: 'spawn ENOENT' } });
  });

  it('a halted record is NOT_FOUND, not acted on', async () => {
    const r = await rig([{ name: 'h', halted: true }]);
    expect(await r.sup.start(r.rec('h'))).toMatchObject({ result: 'NOT_FOUND', status: 'HALT' });
    expect(r.executor.calls).toEqual([]);
  });

  it('check none: status comes from the actions', async () => {
    const r = await rig([{ name: 'n', check: { type: 'none' } }]);
    expect((await r.sup.start(r.rec('n'))).status).toBe('RUNNING');
    expect((await r.sup.stop(r.rec('n'))).status).toBe('STOPPED');
    await r.tick(30_000);
    expect(r.sup.view(r.rec('n')).status).toBe('STOPPED');
  });

  it('metrics: the executor figures, or zeros; restarts from the record', async () => {
    const r = await rig([{ name: 'a', restarts: 4 }], { a: true });
    expect(await r.sup.metrics(r.rec('a'))).toEqual({ name: 'a', cpuPercent: 0, memoryBytes: 0, uptimeS: 0, restarts: 4 });
    r.executor.metricsAnswer = { cpuPercent: 1.5, memoryBytes: 4096, uptimeS: 9 };
    expect(await r.sup.metrics(r.rec('a'))).toEqual({ name: 'a', cpuPercent: 1.5, memoryBytes: 4096, uptimeS: 9, restarts: 4 });
    r.executor.metricsAnswer = new Error('boom');
    expect(await r.sup.metrics(r.rec('a'))).toMatchObject({ cpuPercent: 0, restarts: 4 });
  });

  it('view carries instanceId, address and source; pluginHealth lists plugins', async () => {
    const r = await rig([{ name: 'a' }, { name: 'p', plugin: true, host: 'h', port: 81, source: 'MANIFEST' }], { a: true, p: true });
    await r.tick(0);
    expect(r.sup.view(r.rec('p'))).toEqual({
      name: 'p',
      instanceId: 1,
      host: 'h',
      port: 81,
      status: 'RUNNING',
      health: 'UP',
      restarts: 0,
      lastCheckAt: new Date(r.t0).toISOString(),
      source: 'MANIFEST',
      plugin: true,
      restartPolicy: 'on-unhealthy',
    });
    expect(r.sup.pluginHealth()).toEqual([{ name: 'p', health: 'UP' }]);
  });

  it('track picks up a new registration and a changed check; resync drops what the registry lost', async () => {
    const r = await rig([{ name: 'a' }], { a: true, b: true });
    await r.tick(0);
    const b = await r.registry.register({ name: 'b', check: { type: 'process' } });
    r.sup.track(b);
    await r.tick(0);
    expect(r.sup.view(b).health).toBe('UP');
    r.registry.records.delete('a');
    await r.sup.resync();
    expect(r.sup.view({ ...b, name: 'a' }).status).toBe('UNKNOWN');
    const askedForA = r.executor.isAliveAsked.filter((n) => n === 'a').length;
    await r.tick(3000);
    expect(r.executor.isAliveAsked.filter((n) => n === 'a').length).toBe(askedForA);
    expect(r.executor.isAliveAsked.filter((n) => n === 'b').length).toBeGreaterThan(1);
  });
});

describe('Supervisor at start-up', () => {
  const start = { command: '/usr/bin/true' };

  it('starts a service remembered as running that its first check finds down: a start, not a restart', async () => {
    const r = await rig([{ name: 'a', start, restarts: 2 }], { a: false });
    await r.tick(0);
    expect(r.executor.calls.map((c) => [c.action, c.at - r.t0])).toEqual([['start', 0]]);
    await r.tick(100); // a process check can tell at once
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'RUNNING', health: 'UP', restarts: 2 });
    expect(r.events.service('RESTART')).toEqual([]);
    expect(r.events.service('STATUS', 'a').map((e) => e.to)).toEqual(['STARTING', 'RUNNING']);
  });

  it('leaves alone what is UP, stopped, failed, without a start command, or registered later', async () => {
    const r = await rig(
      [
        { name: 'up', start },
        { name: 'stopped', start, desired: 'STOPPED' },
        { name: 'failed', start, failed: true },
        { name: 'nostart' },
      ],
      { up: true, stopped: false, failed: false, nostart: false, later: false },
    );
    await r.tick(0);
    r.sup.track(await r.registry.register({ name: 'later', check: { type: 'process' }, start }));
    await r.tick(1000);
    expect(r.executor.calls).toEqual([]);
  });

  it('a start that does not help falls back to the usual restarts', async () => {
    const r = await rig([{ name: 'a', start }], { a: false });
    r.executor.effect.start = undefined;
    await r.tick(0);
    expect(r.executor.callsOf('start')).toHaveLength(1);
    await r.tick(5000);
    expect(r.executor.callsOf('restart')).toHaveLength(1);
    expect(r.events.service('RESTART')).toEqual([expect.objectContaining({ attempt: 1 })]);
  });

  it('does not start what the executor cannot see (command executor: isAlive undefined); restarts it as usual', async () => {
    const r = await rig([{ name: 'a', start, check: { type: 'heartbeat' } }]);
    await r.tick(5000);
    expect(r.executor.isAliveAsked).toContain('a');
    expect(r.executor.callsOf('start')).toEqual([]);
    expect(r.executor.callsOf('restart')).toEqual([r.t0 + 4000]);
  });
});
