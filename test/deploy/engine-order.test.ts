// The deploy engine's own guarantees, over the real LevelDB store: every state is on disk before its step
// starts (each step, when called, finds its own state already stored), a deployment stored in some state goes
// on from that state after a restart, and a full disk ends NO_SPACE before anything is written. Doubles here:
// the artifact steps and the services record what they are asked (the real ones are in deploy-e2e.test.ts, with
// the agent as a process); the store is the real one, read back from disk at each call.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { ArtifactSteps } from '../../src/deploy/artifact-steps.js';
import { DeployEngine } from '../../src/deploy/deploy-engine.js';
import { DeployStore } from '../../src/deploy/deploy-store.js';
import type { Deployment, ServiceSlots } from '../../src/deploy/deployment.js';
import { EventBus } from '../../src/events.js';
import type { BatchItem, ServiceRecord, ServiceView } from '../../src/model.js';
import { LevelStore } from '../../src/store/level-store.js';
import type { ServiceControl } from '../../src/supervisor/service-control.js';
import { tempDir } from '../support/agent-process.js';
import { capturingLogger, MemoryRegistry } from '../supervisor/doubles.js';
import { ArtifactServer } from './artifact-server.js';
import { release, sha256Hex } from './tarball.js';

const GATE = { healthyForMs: 0, timeoutMs: 2_000 };
const ARTIFACT = { url: 'http://127.0.0.1:9/never.tgz', sha256: 'a'.repeat(64) };

describe('the deploy engine stores each state before its step', () => {
  let level: LevelStore;
  let store: DeployStore;
  let seen: Array<[string, string | undefined]>;
  let startFails: boolean;
  const registry = new MemoryRegistry([{ name: 'app', start: { command: 'true' } }]);
  const events = new EventBus();

  const stored = async (): Promise<string | undefined> => (await store.all()).at(-1)?.state;
  const note = async (step: string): Promise<void> => void seen.push([step, await stored()]);
  const item = (name: string): BatchItem => ({ name, result: 'OK', status: 'RUNNING' });

  const services = {
    stop: async (r: ServiceRecord) => (await note('stop'), item(r.name)),
    start: async (r: ServiceRecord) => {
      await note('start');
      return startFails ? { name: r.name, result: 'FAILED', status: 'FAILED', error: { code: 'EXECUTOR_FAILED', message: 'no' } } : item(r.name);
    },
    view: (r: ServiceRecord) => {
      void note('view');
      return { name: r.name, status: 'RUNNING', health: 'UP' } as ServiceView;
    },
  } as unknown as ServiceControl;

  const steps = {
    download: () => note('download'),
    verify: () => note('verify'),
    install: () => note('install'),
    clean: async () => undefined,
  };

  const engine = (slots = new Map<string, ServiceSlots>()): DeployEngine =>
    new DeployEngine({ store, registry, services, events, clock: systemClock, log: capturingLogger().log, steps, slots });

  beforeEach(async () => {
    level = await LevelStore.open(tempDir('sma-deploy-order-'));
    store = new DeployStore(level);
    seen = [];
    startFails = false;
  });

  afterEach(async () => {
    await level.close();
  });

  it('download, verify, install, switch and gate each find their own state on disk', async () => {
    const e = engine();
    await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: GATE });
    await e.settled();
    await new Promise((r) => setTimeout(r, 50));
    const firstOf = (step: string) => seen.find(([s]) => s === step);
    expect([firstOf('download'), firstOf('verify'), firstOf('install'), firstOf('stop'), firstOf('start'), firstOf('view')]).toEqual([
      ['download', 'DOWNLOADING'],
      ['verify', 'VERIFYING'],
      ['install', 'INSTALLING'],
      ['stop', 'SWITCHING'],
      ['start', 'SWITCHING'],
      ['view', 'GATING'],
    ]);
    expect(await stored()).toBe('DONE');
  });

  it('a failed start rolls back: the rollback\'s stop and start find ROLLING_BACK stored', async () => {
    startFails = true;
    const e = engine();
    await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: GATE });
    await e.settled();
    expect(seen.filter(([s]) => s === 'stop' || s === 'start')).toEqual([
      ['stop', 'SWITCHING'],
      ['start', 'SWITCHING'],
      ['stop', 'ROLLING_BACK'],
      ['start', 'ROLLING_BACK'],
    ]);
    expect(await stored()).toBe('FAILED');
  });

  it('after a restart, a deployment stored in INSTALLING goes on from INSTALLING (no second download)', async () => {
    const now = Date.now();
    const d: Deployment = { deploymentId: 'd-1', name: 'app', version: 'v2', kind: 'deploy', artifact: ARTIFACT, target: { version: 'v2' }, before: { name: 'app' }, gate: GATE, state: 'INSTALLING', createdAt: now, updatedAt: now };
    await store.save(d);
    const e = engine();
    await e.load();
    e.resume();
    await e.settled();
    expect(seen.map(([s]) => s).filter((s) => s !== 'view')).toEqual(['install', 'stop', 'start']);
    expect(await stored()).toBe('DONE');
  });

  it('one deployment per service: a second while the first runs is CONFLICT', async () => {
    const e = engine();
    await e.deploy({ name: 'app', version: 'v1', artifact: ARTIFACT, gate: GATE });
    await expect(e.deploy({ name: 'app', version: 'v2', artifact: ARTIFACT, gate: GATE })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(e.rollback('app')).rejects.toMatchObject({ code: 'CONFLICT' });
    await e.settled();
  });

  it('a disk too small ends FAILED with NO_SPACE before the body is written, the running version untouched', async () => {
    const server = await ArtifactServer.start();
    const dataDir = tempDir('sma-deploy-space-');
    try {
      const body = release('v1');
      server.files.set('/v1.tgz', { body });
      const real = new ArtifactSteps({
        dataDir,
        allowedHosts: [],
        maxArtifactBytes: 2 ** 31,
        signatures: { trustedKeys: [], requireSignature: false },
        freeBytes: async () => body.length, // room for the artifact, not for it unpacked as well
        pause: async () => undefined,
        progress: () => undefined,
      });
      const e = new DeployEngine({ store, registry, services, events, clock: systemClock, log: capturingLogger().log, steps: real, slots: new Map() });
      await e.deploy({ name: 'app', version: 'v1', artifact: { url: server.url('/v1.tgz'), sha256: sha256Hex(body) }, gate: GATE });
      await e.settled();
      const [d] = await store.all();
      expect(d).toMatchObject({ state: 'FAILED', error: { code: 'NO_SPACE' } });
      expect(seen.filter(([s]) => s === 'stop' || s === 'start')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
