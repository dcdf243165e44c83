// Cancelling a deployment (src/deploy/cancel-rules.ts), in the engine over the real LevelDB store: the cancel is
// on disk before it acts, a step under way is cut short, before SWITCHING the files go before FAILED is stored,
// from SWITCHING on the engine rolls back, a rollback under way is not cancelled, and a cancel stored before a
// crash still acts after the restart. Doubles here: the artifact steps and the services record what they are
// asked (the real ones, with the agent as a process, are in deploy-cancel.test.ts); the store is the real one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { DeployEngine } from '../../src/deploy/deploy-engine.js';
import { DeployStore } from '../../src/deploy/deploy-store.js';
import { DeployFailure, type Deployment, type ServiceSlots } from '../../src/deploy/deployment.js';
import { EventBus } from '../../src/events.js';
import type { BatchItem, ServiceRecord, ServiceView } from '../../src/model.js';
import { LevelStore } from '../../src/store/level-store.js';
import type { ServiceControl } from '../../src/supervisor/service-control.js';
import { tempDir } from '../support/agent-process.js';
import { waitFor } from '../support/wait-for.js';
import { capturingLogger, MemoryRegistry } from '../supervisor/doubles.js';

const ARTIFACT = { url: 'http://127.0.0.1:9/never.tgz', sha256: 'a'.repeat(64) };
const QUICK_GATE = { healthyForMs: 0, timeoutMs: 2_000 };
/** A gate that holds GATING (and a rollback's gate) for a while: the service is UP, the time is not up yet. */
const LONG_GATE = { healthyForMs: 1_500, timeoutMs: 10_000 };

describe('cancelling a deployment in the engine', () => {
  let level: LevelStore;
  let store: DeployStore;
  let seen: Array<[string, string | undefined]>;
  let startFails: number;
  const registry = new MemoryRegistry([{ name: 'app', start: { command: 'true' } }]);
  const events = new EventBus();

  const stored = async (): Promise<Deployment | undefined> => (await store.all()).at(-1);
  const note = async (step: string): Promise<void> => void seen.push([step, (await stored())?.state]);
  const item = (name: string): BatchItem => ({ name, result: 'OK', status: 'RUNNING' });

  const services = {
    stop: async (r: ServiceRecord) => (await note('stop'), item(r.name)),
    start: async (r: ServiceRecord) => {
      await note('start');
      if (startFails > 0) {
        startFails -= 1;
        return { name: r.name, result: 'FAILED', status: 'FAILED', error: { code: 'EXECUTOR_FAILED', message: 'no' } };
      }
      return item(r.name);
    },
    view: (r: ServiceRecord) => ({ name: r.name, status: 'RUNNING', health: 'UP' }) as ServiceView,
  } as unknown as ServiceControl;

  /** Whether the download runs until it is cut short (as a trickling one would for an hour), or ends at once. */
  let hang: boolean;
  const steps = {
    download: async (_d: Deployment, signal?: AbortSignal): Promise<void> => {
      await note('download');
      if (hang) await new Promise<void>((_resolve, reject) => signal?.addEventListener('abort', () => reject(new DeployFailure('INTERRUPTED', 'cancelled'))));
    },
    verify: () => note('verify'),
    install: () => note('install'),
    clean: () => note('clean'),
  };

  const engine = (o: { stepPauseMs?: number } = {}, slots = new Map<string, ServiceSlots>([['app', { name: 'app', active: { version: 'v0' } }]])): DeployEngine =>
    new DeployEngine({ store, registry, services, events, clock: systemClock, log: capturingLogger().log, steps, slots, ...o });

  const reached = (state: string) => waitFor(`stored ${state}`, async () => (await stored())?.state === state, 10_000);

  beforeEach(async () => {
    level = await LevelStore.open(tempDir('sma-deploy-cancel-'));
    store = new DeployStore(level);
    seen = [];
    startFails = 0;
    hang = false;
  });

  afterEach(async () => {
    await level.close();
  });

  it('DOWNLOADING: the cancel is stored, the download cut, the files removed before FAILED with INTERRUPTED is stored; nothing switched', async () => {
    hang = true;
    const e = engine();
    const { deploymentId } = await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: QUICK_GATE });
    await waitFor('download under way', () => seen.some(([s]) => s === 'download'));
    const answer = await e.cancel('app', 'alice');
    expect(answer).toMatchObject({ deploymentId, name: 'app', version: 'v1', cancelledAt: expect.any(String) });
    await e.settled();
    expect(await stored()).toMatchObject({ state: 'FAILED', error: { code: 'INTERRUPTED', message: 'cancelled by alice' }, cancelledBy: 'alice' });
    // The clean found the deployment still DOWNLOADING on disk (its cancel stored): a crash there cleans again.
    expect(seen.find(([s]) => s === 'clean')).toEqual(['clean', 'DOWNLOADING']);
    expect(seen.map(([s]) => s)).not.toContain('verify');
    expect(seen.map(([s]) => s)).not.toContain('stop');
    expect(e.inProgress('app')).toBeUndefined();
    await expect(e.cancel('app')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a cancel stored before a crash acts after the restart: VERIFYING with a cancel ends FAILED, verify never runs', async () => {
    const now = Date.now();
    const d: Deployment = { deploymentId: 'd-1', name: 'app', version: 'v2', kind: 'deploy', artifact: ARTIFACT, target: { version: 'v2' }, before: { name: 'app' }, gate: QUICK_GATE, state: 'VERIFYING', cancelledAt: now, cancelledBy: 'bob', createdAt: now, updatedAt: now };
    await store.save(d);
    const e = engine();
    await e.load();
    e.resume();
    await e.settled();
    expect(await stored()).toMatchObject({ state: 'FAILED', error: { code: 'INTERRUPTED', message: 'cancelled by bob' } });
    expect(seen.map(([s]) => s)).toEqual(['clean', 'clean']);
  });

  it('a cancel stored at DELIVERED before a crash ends it at the restart (not left waiting for an Install)', async () => {
    const now = Date.now();
    const d: Deployment = { deploymentId: 'd-2', name: 'app', version: 'v2', kind: 'deploy', artifact: ARTIFACT, target: { version: 'v2' }, before: { name: 'app' }, gate: QUICK_GATE, state: 'DELIVERED', hold: true, cancelledAt: now, createdAt: now, updatedAt: now };
    await store.save(d);
    const e = engine();
    await e.load();
    e.resume();
    await e.settled();
    expect(await stored()).toMatchObject({ state: 'FAILED', error: { code: 'INTERRUPTED' } });
  });

  it('DELIVERED: ends FAILED in the answer itself', async () => {
    const e = engine();
    await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: QUICK_GATE, hold: true });
    await reached('DELIVERED');
    await e.settled();
    expect(await e.cancel('app', 'lwm2m-server')).toMatchObject({ state: 'FAILED' });
    expect(await stored()).toMatchObject({ state: 'FAILED', error: { code: 'INTERRUPTED', message: 'cancelled by lwm2m-server' } });
    expect(seen.map(([s]) => s)).not.toContain('install');
  });

  it('GATING: the gate is cut short and the engine rolls back (ROLLING_BACK stored before the rollback\'s stop), ROLLED_BACK with INTERRUPTED', async () => {
    const e = engine();
    await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: LONG_GATE });
    await reached('GATING');
    const t0 = Date.now();
    expect(await e.cancel('app', 'carol')).toMatchObject({ state: 'GATING' });
    await reached('ROLLING_BACK');
    // Cut short: not after the gate's 1.5 s.
    expect(Date.now() - t0).toBeLessThan(1_000);
    // A second cancel answers the same (it is stored once); the rollback itself goes on.
    expect(await e.cancel('app', 'dave')).toMatchObject({ state: 'ROLLING_BACK' });
    await e.settled();
    expect(await stored()).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'INTERRUPTED', message: 'cancelled by carol' }, cancelledBy: 'carol' });
    expect(seen.filter(([s]) => s === 'stop' || s === 'start')).toEqual([
      ['stop', 'SWITCHING'],
      ['start', 'SWITCHING'],
      ['stop', 'ROLLING_BACK'],
      ['start', 'ROLLING_BACK'],
    ]);
  });

  it('ROLLING_BACK (after a failure): a cancel is refused with CONFLICT and the rollback ends ROLLED_BACK', async () => {
    startFails = 1;
    const e = engine();
    await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: LONG_GATE });
    await reached('ROLLING_BACK');
    await expect(e.cancel('app')).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('ROLLING_BACK') });
    await e.settled();
    expect(await stored()).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'GATE' } });
    expect((await stored())?.cancelledAt).toBeUndefined();
  });

  it('a cancel in the pause before a step acts instead of the step (stepPauseMs)', async () => {
    const e = engine({ stepPauseMs: 400 });
    await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: QUICK_GATE });
    await reached('VERIFYING');
    await e.cancel('app');
    expect((await stored())?.cancelledAt).toEqual(expect.any(Number));
    await e.settled();
    expect(await stored()).toMatchObject({ state: 'FAILED', error: { code: 'INTERRUPTED', message: 'cancelled' } });
    expect(seen.map(([s]) => s)).not.toContain('verify');
  });

  it('a cancel whose write is slow is never overwritten by, nor lands on top of, the state the step reaches meanwhile', async () => {
    const save = store.save.bind(store);
    // The cancel's write takes 500 ms; the gate (100 ms) passes while it is under way.
    store.save = async (d, slots) => {
      if (d.cancelledAt !== undefined && d.state === 'GATING') await new Promise((r) => setTimeout(r, 500));
      return save(d, slots);
    };
    try {
      const e = engine();
      await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: { healthyForMs: 100, timeoutMs: 5_000 } });
      await reached('GATING');
      await e.cancel('app');
      await e.settled();
      // The gate's DONE waited for the cancel's write, then gave way to it: the deployment rolled back.
      expect(await stored()).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'INTERRUPTED' } });
    } finally {
      store.save = save;
    }
  });

  it('nothing in progress: NOT_FOUND', async () => {
    await expect(engine().cancel('app')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
