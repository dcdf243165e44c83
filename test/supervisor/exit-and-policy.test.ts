// A spawned service's exit as a health verdict, restart policies, BACKOFF, the healthy run that clears the
// back-off, intended stops, and registry resyncs racing the agent's own saves. FakeClock and doubles (see
// ./doubles.ts for why); the same behaviour against real processes is in http-check.test.ts.
import { describe, expect, it } from 'vitest';
import type { ServiceRecord } from '../../src/model.js';
import { exitCause, restartWanted } from '../../src/supervisor/restart-policy.js';
import { settle } from './doubles.js';
import { health, rig } from './supervisor-rig.js';

describe('restart policy table', () => {
  it.each([
    ['always', [true, true, true, true]],
    ['on-unhealthy', [true, false, true, true]],
    ['on-failure', [true, false, true, false]],
    ['never', [false, false, false, false]],
  ] as const)('%s restarts after failed-exit, clean-exit, gone, unhealthy: %j', (policy, wanted) => {
    expect((['failed-exit', 'clean-exit', 'gone', 'unhealthy'] as const).map((c) => restartWanted(policy, c))).toEqual(wanted);
  });

  it('a status 0 is a clean exit; any other status or a signal is a failure', () => {
    expect(exitCause({ code: 0, signal: null })).toBe('clean-exit');
    expect(exitCause({ code: 1, signal: null })).toBe('failed-exit');
    expect(exitCause({ code: null, signal: 'SIGKILL' })).toBe('failed-exit');
  });
});

/** A running service (process check), UP after its first check. */
async function running(extra: Partial<ServiceRecord> = {}, h = health) {
  const r = await rig([{ name: 'a', ...extra }], { a: true }, h);
  await r.tick(0);
  expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'RUNNING', health: 'UP' });
  return r;
}

describe('an exit is a verdict', () => {
  it('is DOWN at once, BACKOFF with the next attempt, restarted after restartDelayMs: no check has to miss', async () => {
    const r = await running();
    const checksBefore = r.sup.counters().checksRun;
    r.executor.exit('a', null, 'SIGKILL');
    const at = r.clock.now();
    expect(r.sup.health(r.rec('a'))).toMatchObject({ health: 'DOWN', detail: 'process killed by SIGKILL' });
    expect(r.sup.view(r.rec('a'))).toMatchObject({
      status: 'BACKOFF',
      nextAttemptAt: new Date(at + health.restartDelayMs).toISOString(),
      exitSignal: 'SIGKILL',
      lastExitAt: new Date(at).toISOString(),
    });
    expect(r.sup.view(r.rec('a')).exitCode).toBeUndefined();
    expect(r.events.service('EXIT', 'a')).toEqual([expect.objectContaining({ exitSignal: 'SIGKILL', at })]);
    expect(r.events.service('STATUS', 'a').at(-1)).toMatchObject({ from: 'RUNNING', to: 'BACKOFF', nextAttemptAt: at + health.restartDelayMs });
    await r.tick(health.restartDelayMs - 100);
    expect(r.executor.callsOf('restart')).toEqual([]);
    await r.tick(100);
    expect(r.executor.callsOf('restart')).toEqual([at + health.restartDelayMs]);
    expect(r.sup.counters().checksRun - checksBefore).toBeLessThanOrEqual(2); // the regular cadence, nothing more
    await r.tick(0);
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'RUNNING', health: 'UP', exitSignal: 'SIGKILL' });
  });

  it('an exit the executor was asked for (stop, restart) is no verdict', async () => {
    const r = await running();
    await r.sup.stop(r.rec('a'));
    expect(r.events.service('HEALTH', 'a').map((e) => e.to)).toEqual(['UP', 'DOWN']);
    await r.tick(20_000);
    expect(r.executor.callsOf('restart')).toEqual([]);
  });

  it.each([
    ['always', 0, true],
    ['always', 3, true],
    ['on-failure', 0, false],
    ['on-failure', 3, true],
    ['on-unhealthy', 0, false],
    ['on-unhealthy', 3, true],
    ['never', 3, false],
  ] as const)('policy %s, exit status %i: restarted %s', async (restartPolicy, code, restarted) => {
    const r = await running({ restartPolicy });
    r.executor.exit('a', code);
    await r.tick(health.restartDelayMs + 10_000); // delay, then checks that miss for good measure
    expect(r.executor.callsOf('restart').length > 0).toBe(restarted);
    if (!restarted) expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'STOPPED', health: 'DOWN', exitCode: code });
  });

  it('the config default applies to a service without its own policy', async () => {
    const r = await running({}, { ...health, restartPolicy: 'never' });
    r.executor.exit('a', 1);
    await r.tick(30_000);
    expect(r.executor.callsOf('restart')).toEqual([]);
    expect(r.sup.view(r.rec('a')).restartPolicy).toBe('never');
  });

  it('on-failure leaves a service whose process runs but whose checks fail; on-unhealthy restarts it', async () => {
    for (const [restartPolicy, restarted] of [['on-failure', false], ['on-unhealthy', true]] as const) {
      const r = await rig([{ name: 'a', restartPolicy, check: { type: 'heartbeat' } }], { a: true });
      r.sup.heartbeat('a', r.clock.now());
      await r.tick(10_000); // silent: DOWN by checks, while the executor says its process runs
      expect(r.sup.health(r.rec('a')).health).toBe('DOWN');
      expect(r.executor.callsOf('restart').length > 0).toBe(restarted);
    }
  });
});

describe('back-off and FAILED', () => {
  const h = { ...health, restartDelayMs: 1000, backoffMaxMs: 60_000, maxRestarts: 10, restartWindowMs: 3_600_000, healthyRunMs: 30_000 };

  it('doubles while exits follow each other, and a healthy run of healthyRunMs clears it', async () => {
    const r = await running({}, h);
    const delays: number[] = [];
    const crashAndWait = async (): Promise<void> => {
      r.executor.exit('a', 1);
      delays.push(Date.parse(r.sup.view(r.rec('a')).nextAttemptAt!) - r.clock.now());
      await r.tick(delays.at(-1)!);
      await r.tick(0); // the restart's own check: UP
    };
    await crashAndWait();
    await crashAndWait();
    await crashAndWait();
    expect(delays).toEqual([1000, 2000, 4000]);
    await r.tick(h.healthyRunMs - 1000); // UP, but not for long enough
    await crashAndWait();
    expect(delays.at(-1)).toBe(8000);
    await r.tick(h.healthyRunMs);
    await crashAndWait();
    expect(delays.at(-1)).toBe(1000);
  });

  it('gives up after maxRestarts (FAILED, GAVE_UP); an operator start clears FAILED', async () => {
    const r = await running({}, { ...h, maxRestarts: 2 });
    for (let i = 0; i < 3; i += 1) {
      r.executor.exit('a', 1);
      await r.tick(10_000);
    }
    expect(r.sup.view(r.rec('a')).status).toBe('FAILED');
    expect(r.events.service('GAVE_UP', 'a')).toHaveLength(1);
    expect(await r.sup.start(r.rec('a'))).toMatchObject({ result: 'OK' });
    expect(r.rec('a').failed).toBe(false);
    await r.tick(0);
    expect(r.sup.view(r.rec('a')).status).toBe('RUNNING');
    r.executor.exit('a', 1);
    expect(r.sup.view(r.rec('a')).status).toBe('BACKOFF');
  });
});

describe('a service meant to be stopped', () => {
  it('is not checked after the stop, logs no WARN, counts no failure; stopping it again is OK with no events', async () => {
    const r = await running({ check: { type: 'process' } });
    const failedBefore = r.sup.counters().checksFailed;
    expect(await r.sup.stop(r.rec('a'))).toEqual({ name: 'a', result: 'OK', status: 'STOPPED' });
    const asked = r.executor.isAliveAsked.length;
    const checks = r.sup.counters().checksRun;
    await r.tick(60_000);
    expect(r.sup.counters()).toMatchObject({ checksRun: checks, checksFailed: failedBefore });
    expect(r.executor.isAliveAsked.length).toBe(asked + 0);
    expect(r.lines.filter((l) => l.service === 'a' && (l.level as number) >= 40)).toEqual([]);
    expect(r.sup.health(r.rec('a'))).toMatchObject({ health: 'DOWN', detail: 'stopped by an operator' });

    const eventsBefore = r.events.all.length;
    const updatesBefore = r.registry.updates.length;
    const callsBefore = r.executor.calls.length;
    expect(await r.sup.stop(r.rec('a'))).toEqual({ name: 'a', result: 'OK', status: 'STOPPED' });
    expect(r.events.all.length).toBe(eventsBefore);
    expect(r.registry.updates.length).toBe(updatesBefore);
    expect(r.executor.calls.length).toBe(callsBefore);
  });

  it('is checked again once an operator starts it', async () => {
    const r = await rig([{ name: 'a', desired: 'STOPPED', check: { type: 'heartbeat' } }], { a: false });
    await r.tick(30_000);
    r.sup.heartbeat('a', r.clock.now()); // a beat from a stopped service is no verdict
    expect(r.sup.counters().checksRun).toBe(0);
    expect(r.sup.health(r.rec('a')).health).toBe('UNKNOWN');
    await r.sup.start(r.rec('a'));
    r.sup.heartbeat('a', r.clock.now());
    expect(r.sup.health(r.rec('a')).health).toBe('UP');
    await r.tick(health.intervalMs);
    expect(r.sup.counters().checksRun).toBeGreaterThan(0);
  });
});

describe('registry resync against the agent\'s own saves', () => {
  it('a snapshot read before a concurrent stop was saved does not turn the service back to RUNNING', async () => {
    const r = await running();
    // A resync whose list() read the registry before the stop, and answers after the stop was saved.
    const stale = await r.registry.list();
    const list = r.registry.list.bind(r.registry);
    let answer!: () => void;
    r.registry.list = () => new Promise((resolve) => (answer = () => resolve(stale)));
    const resync = r.sup.resync();
    await r.sup.stop(r.rec('a'));
    expect(r.rec('a')).toMatchObject({ desired: 'STOPPED' });
    answer();
    await resync;
    r.registry.list = list;
    await r.tick(60_000);
    expect(r.sup.view(r.rec('a')).status).toBe('STOPPED');
    expect(r.executor.callsOf('restart')).toEqual([]);
    expect(r.executor.callsOf('start')).toEqual([]);
    // A snapshot as new as the save (or newer) is taken as it is: a start written by another agent counts.
    await r.registry.update('a', { desired: 'RUNNING' });
    await r.sup.resync();
    await settle();
    expect(r.rec('a').desired).toBe('RUNNING');
    await r.tick(health.intervalMs * (health.retries + 1));
    expect(r.executor.callsOf('restart').length + r.executor.callsOf('start').length).toBeGreaterThan(0);
  });

  it('a snapshot read while the save is still in flight does not undo it either', async () => {
    const r = await rig([{ name: 'a', check: { type: 'heartbeat' } }], { a: true });
    r.sup.heartbeat('a', r.clock.now());
    const stale = await r.registry.list();
    const update = r.registry.update.bind(r.registry);
    let land!: () => void;
    r.registry.update = (name, patch) => new Promise((resolve) => (land = () => void update(name, patch).then(resolve)));
    const stop = r.sup.stop(r.rec('a'));
    await settle();
    r.registry.list = async () => stale;
    await r.sup.resync();
    land();
    await stop;
    // Still meant to be stopped: a beat is no verdict, nothing is restarted.
    r.sup.heartbeat('a', r.clock.now());
    await r.tick(60_000);
    expect(r.sup.view(r.rec('a'))).toMatchObject({ status: 'STOPPED' });
    expect(r.executor.callsOf('restart')).toEqual([]);
  });
});
