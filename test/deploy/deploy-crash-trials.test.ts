// Issue 25 acceptance, crash safety: kill -9 the agent in each state of a deployment (DOWNLOADING, VERIFYING,
// INSTALLING, SWITCHING, GATING, ROLLING_BACK), TEST_DEPLOY_CRASH_TRIALS times each (10 by default), start it
// again on the same dataDir. Each trial must end DONE, ROLLED_BACK or FAILED with a runnable version running
// and UP (the new one after DONE, the one before otherwise), and no two versions' processes may ever run at
// once (sampled every 25 ms through every kill and restart). deploy.stepPauseMs holds each state for a while
// after it is stored, and the kill comes at a random moment after the state's event (in the pause or in the
// step itself); downloads are slowed so that DOWNLOADING is long.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';
import type { ArtifactServer } from './artifact-server.js';
import { deploy, eventsOf, FINAL, ProcessSampler, runningVersion, startRig, stopRig } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

// (TEST_ names: the runner drops every SMA_ variable, see test/support/runner-env.ts.)
const TRIALS = Number(process.env.TEST_DEPLOY_CRASH_TRIALS ?? 10);
const PAUSE_MS = 300;
const GATE = { healthyForMs: 600, timeoutMs: 10_000 };
const ALL_STATES = ['DOWNLOADING', 'VERIFYING', 'INSTALLING', 'SWITCHING', 'GATING', 'ROLLING_BACK'] as const;
const STATES = ALL_STATES.filter((s) => !process.env.TEST_DEPLOY_CRASH_STATES || process.env.TEST_DEPLOY_CRASH_STATES.split(',').includes(s));

describe('kill -9 in every state of a deployment', () => {
  const dataDir = tempDir('sma-deploy-crash-');
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let server: ArtifactServer;
  let appPort: number;
  let sampler: ProcessSampler;
  let current = 'v0';
  const outcomes: Record<string, Record<string, number>> = {};

  const config = (): Record<string, unknown> => ({
    executor: { type: 'process', stopGraceMs: 2_000 },
    health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
    deploy: { stepPauseMs: PAUSE_MS },
  });

  const boot = async (): Promise<void> => {
    agent = await startAgent(config(), { dataDir });
    mqtt = await MqttRequester.forAgent(agent);
  };

  const stateOf = async (id: string): Promise<{ state: string; error?: { code: string; message: string } } | undefined> => {
    const reply = await mqtt.request('services.deployments', { name: 'app' });
    return (reply.result as { deployments: Array<{ deploymentId: string; state: string; error?: { code: string; message: string } }> }).deployments.find((d) => d.deploymentId === id);
  };

  beforeAll(async () => {
    ({ server, appPort, agent, mqtt } = await startRig(config(), { dataDir }));
    sampler = new ProcessSampler(`--port ${appPort}`);
    const body = release('v0');
    server.files.set('/v0.tgz', { body });
    const id = await deploy(mqtt, { name: 'app', version: 'v0', artifact: { url: server.url('/v0.tgz'), sha256: sha256Hex(body) }, gate: GATE });
    await waitFor('v0 DONE', async () => (await stateOf(id))?.state === 'DONE', 30_000);
  }, 60_000);

  afterAll(() => stopRig({ sampler, mqtt, agent, server, appPort }));

  describe.each(STATES)('killed in %s', (state) => {
    it.each(Array.from({ length: TRIALS }, (_, i) => i + 1))(`trial %i ends DONE, ROLLED_BACK or FAILED with a version running`, async (trial) => {
      const version = `${state.toLowerCase().slice(0, 4)}-${trial}`;
      const crashing = state === 'ROLLING_BACK';
      const body = release(version, crashing ? { crashAfterMs: 300 } : { extra: [{ path: 'app/padding.bin', body: randomBytes(200_000) }] });
      // DOWNLOADING lasts about a second; the other states last their pause and their step.
      server.files.set(`/${version}.tgz`, { body, ...(state === 'DOWNLOADING' ? { bytesPerSecond: Math.ceil(body.length / 1.2) } : {}) });
      const before = current;
      const id = await deploy(mqtt, { name: 'app', version, artifact: { url: server.url(`/${version}.tgz`), sha256: sha256Hex(body) }, gate: GATE });
      await waitFor(`${state} event`, () => eventsOf(mqtt, 'app', id).find((e) => e.state === state), 30_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * (PAUSE_MS + 200))));
      const lastSeen = eventsOf(mqtt, 'app', id).at(-1)?.state;
      agent.child.kill('SIGKILL');
      await agent.stop();
      await mqtt.close();
      await boot();
      const end = await waitFor(`deployment ${id} to end after the restart`, async () => {
        const d = await stateOf(id);
        return d && FINAL.has(d.state) ? d : undefined;
      }, 40_000);
      (outcomes[state] ??= {})[`${end.state} (killed after ${lastSeen})`] = ((outcomes[state] ??= {})[`${end.state} (killed after ${lastSeen})`] ?? 0) + 1;
      if (end.state === 'FAILED') console.info(`${state} trial ${trial} FAILED: ${end.error?.message}`);
      const expected = end.state === 'DONE' ? version : before;
      if (crashing) expect(end.state).not.toBe('DONE');
      else expect(end.state).toBe('DONE');
      const running = await waitFor(`${expected} running and UP`, async () => {
        const view = ((await mqtt.request('services.list')).result as Array<{ name: string; status: string; health: string; version?: string }>).find((v) => v.name === 'app');
        return view?.status === 'RUNNING' && view.health === 'UP' && (await runningVersion(appPort)) === expected ? view : undefined;
      }, 20_000);
      expect(running.version).toBe(expected);
      current = expected;
    }, 90_000);
  });

  it('never ran two versions at once, through every kill and restart', () => {
    console.info('deployment crash trials:', JSON.stringify(outcomes));
    expect(sampler.samples).toBeGreaterThan(100);
    expect(sampler.most).toBe(1);
  });
});
