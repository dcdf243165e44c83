// An operator's start, stop, restart or deregistration of a service whose deployment is under way is refused
// with CONFLICT (src/operations/deployment-hold.ts), through the real inbox, operations and deploy engine over
// LevelDB; the engine's own stops and starts (switch, rollback) still reach the services. Doubles: the service
// control records what it is asked and says what the test wants it to (the real supervisor and processes are in
// test/deploy/deployment-hold.test.ts); the artifact steps wait for the test instead of downloading.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { DeployEngine } from '../../src/deploy/deploy-engine.js';
import { DeployStore } from '../../src/deploy/deploy-store.js';
import { EventBus } from '../../src/events.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { Journal } from '../../src/inbox/journal.js';
import type { BatchItem } from '../../src/model.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { LevelStore } from '../../src/store/level-store.js';
import { tempDir } from '../support/agent-process.js';
import { storePorts } from '../support/store-ports.js';
import { OPERATOR, testPolicy } from '../support/principals.js';
import { RecordingControl } from '../support/recording-control.js';
import { waitFor } from '../support/wait-for.js';

const log = pino({ level: 'silent' });
const ARTIFACT = { url: 'http://127.0.0.1:9/app.tgz', sha256: 'a'.repeat(64) };
const GATE = { healthyForMs: 0, timeoutMs: 60_000 };

describe('a deployment under way owns its service: operators get CONFLICT, the engine goes on', () => {
  let store: LevelStore;
  let inbox: Inbox;
  let engine: DeployEngine;
  let control: RecordingControl;
  let events: EventBus;
  let releaseDownload: () => void;
  const states: string[] = [];

  const run = async (op: string, body: unknown) => (await inbox.accept({ op, body, origin: 'mqtt', principal: OPERATOR })).done;
  const items = async (op: string, body: unknown): Promise<BatchItem[]> => {
    const reply = await run(op, body);
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result as BatchItem[];
  };
  const deploy = async (body: Record<string, unknown>): Promise<string> => {
    const reply = await run('services.deploy', { name: 'app', artifact: ARTIFACT, gate: GATE, ...body });
    if (!reply.ok) throw new Error(reply.error.message);
    return (reply.result as { deploymentId: string }).deploymentId;
  };
  const reached = (state: string) => waitFor(`deployment ${state}`, () => states.includes(state), 5_000);

  beforeEach(async () => {
    store = await LevelStore.open(tempDir('sma-deploy-hold-'));
    const registry = await EmbeddedRegistry.open(store);
    await registry.register({ name: 'app', check: { type: 'none' }, start: { command: 'true' } });
    await registry.register({ name: 'b', check: { type: 'none' }, start: { command: 'true' } });
    control = new RecordingControl();
    events = new EventBus();
    states.length = 0;
    events.on((e) => void (e.kind === 'deploy' && states.push(e.state)));
    let downloaded!: Promise<void>;
    downloaded = new Promise((r) => (releaseDownload = r));
    const steps = { download: () => downloaded, verify: async () => undefined, install: async () => undefined, clean: async () => undefined };
    engine = new DeployEngine({ store: new DeployStore(store), registry, services: control, events, clock: systemClock, log, steps, slots: new Map() });
    const ports = storePorts({ store, registry, services: control, deploy: engine, events, clock: systemClock, agentId: 'agent-x' });
    const journal = new Journal(store);
    await journal.open();
    inbox = new Inbox(ports, journal, { timeoutMs: 30_000, policy: testPolicy() }, log);
  });

  afterEach(async () => {
    releaseDownload();
    control.gate = undefined;
    control.status = 'RUNNING';
    await engine.settled();
    await store.close();
  });

  it('while DOWNLOADING: the service\'s item is CONFLICT naming the deployment and its state; other names in the batch act', async () => {
    const id = await deploy({ version: 'v1' });
    await reached('DOWNLOADING');
    const [app, b] = await items('services.stop', { names: ['app', 'b'] });
    expect(app).toEqual({ name: 'app', result: 'CONFLICT', status: 'RUNNING', error: { code: 'CONFLICT', message: expect.stringContaining(`(${id}, DOWNLOADING)`) } });
    expect(b).toEqual({ name: 'b', result: 'OK', status: 'RUNNING' });
    const all = await items('services.restart', { all: true });
    expect(all.map((i) => [i.name, i.result])).toEqual([['app', 'CONFLICT'], ['b', 'OK']]);
    expect((await items('services.start', { names: ['app'] }))[0]?.result).toBe('CONFLICT');
    expect(control.begun()).toEqual(['stop:b', 'restart:b']);
    const deregister = await run('registry.deregister', { name: 'app' });
    expect(deregister).toEqual({ ok: false, error: { code: 'CONFLICT', message: expect.stringContaining(id) } });
    // config.set neither restarts nor re-creates a service: it is not held.
    expect((await run('config.set', { name: 'app', config: { LogLevel: 'DEBUG' } })).ok).toBe(true);
    releaseDownload();
    await reached('DONE');
    // The switch's stop and start reached the service; once DONE the service is the operator's again.
    expect(control.begun()).toEqual(['stop:b', 'restart:b', 'stop:app', 'start:app']);
    expect(await items('services.stop', { names: ['app'] })).toEqual([{ name: 'app', result: 'OK', status: 'RUNNING' }]);
    expect((await run('registry.deregister', { name: 'app' })).ok).toBe(true);
  });

  it('while GATING and ROLLING_BACK: refused; the rollback\'s own stop and start still go through', async () => {
    control.status = 'STARTING';
    control.healthNow = 'UNKNOWN';
    const id = await deploy({ version: 'v1' });
    releaseDownload();
    await reached('GATING');
    const [gating] = await items('services.stop', { names: ['app'] });
    expect(gating?.error?.message).toContain(`(${id}, GATING)`);
    let releaseRollback!: () => void;
    control.gate = new Promise((r) => (releaseRollback = r));
    // The new version exits while gated: the gate fails, the engine rolls back (its stop waits on `hold`).
    events.emit({ kind: 'service', type: 'EXIT', name: 'app', exitCode: 1, at: systemClock.now() });
    await reached('ROLLING_BACK');
    await waitFor('the rollback stopping the new version', () => control.begun().at(-1) === 'stop:app');
    const [rolling] = await items('services.restart', { names: ['app'] });
    expect(rolling).toMatchObject({ result: 'CONFLICT', error: { code: 'CONFLICT', message: expect.stringContaining(`(${id}, ROLLING_BACK)`) } });
    control.status = 'RUNNING';
    control.healthNow = 'UP';
    releaseRollback();
    await reached('ROLLED_BACK');
    expect(control.begun()).toEqual(['stop:app', 'start:app', 'stop:app', 'start:app']);
    expect((await items('services.restart', { names: ['app'] }))[0]?.result).toBe('OK');
  });

  it('a package resting at DELIVERED holds nothing: the service is the operator\'s until Install', async () => {
    await deploy({ version: 'v1', hold: true });
    releaseDownload();
    await reached('DELIVERED');
    expect(engine.inProgress('app')).toBeUndefined();
    expect((await items('services.restart', { names: ['app'] }))[0]?.result).toBe('OK');
    let releaseSwitch!: () => void;
    control.gate = new Promise((r) => (releaseSwitch = r));
    const install = await run('services.install', { name: 'app' });
    expect(install.ok).toBe(true);
    // Installed, the deployment is under way again: a restart during its switch is refused.
    await waitFor('the switch stopping the service', () => control.begun().at(-1) === 'stop:app');
    expect(engine.inProgress('app')).toMatchObject({ state: 'SWITCHING' });
    expect((await items('services.restart', { names: ['app'] }))[0]?.error?.message).toContain('SWITCHING');
    releaseSwitch();
    await reached('DONE');
    expect(engine.inProgress('app')).toBeUndefined();
  });

  it('deregistering a service whose package rests at DELIVERED drops the package: no Install can switch a service that is gone', async () => {
    const id = await deploy({ version: 'v1', hold: true });
    releaseDownload();
    await reached('DELIVERED');
    expect((await run('registry.deregister', { name: 'app' })).ok).toBe(true);
    await reached('FAILED');
    const listed = (await run('services.deployments', { name: 'app' })) as { ok: true; result: { deployments: Array<{ deploymentId: string; state: string; error?: { code: string } }> } };
    expect(listed.result.deployments).toEqual([expect.objectContaining({ deploymentId: id, state: 'FAILED', error: expect.objectContaining({ code: 'INTERRUPTED' }) })]);
    expect(await run('services.install', { name: 'app' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(control.calls).toEqual([]);
  });
});
