// services.cancel end to end: the agent as a real process from its bin, real service processes, a real HTTP
// artifact server. A trickling download cancelled over MQTT ends FAILED (INTERRUPTED) at once, its partial file
// removed, nothing asked of the server again, the running process untouched (same pid); a service may not cancel
// (even the service itself: over MQTT or HTTP, its deployment goes on), an operator may (HTTP 202); a cancel while
// GATING over the CLI rolls back (ROLLED_BACK, the version before running, exit 0); a cancel at DELIVERED ends it
// in the answer; a cancel
// stored and then kill -9 before it acted still holds after the restart, in each state from DOWNLOADING to
// GATING (FAILED before SWITCHING, ROLLED_BACK from it on). Never two processes.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync as mqttConnect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/security/password-hash.js';
import { BIN, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import type { ArtifactServer } from './artifact-server.js';
import { deploy, eventsOf, finalEvent, ProcessSampler, runningVersion, startRig, stopRig, type Rig } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

const run = promisify(execFile);
const CHEAP = { N: 1024, r: 8, p: 1 };
const OPERATOR = `Basic ${Buffer.from('ops:ops-secret').toString('base64')}`;
/** The operator on the embedded broker (with users, nobody is let in anonymously). */
const OPS = { username: 'ops', password: 'ops-secret' };
/** A service principal named as the service whose deployment it would cancel. */
const SERVICE = 'Bearer app-token';
const QUICK = { healthyForMs: 500, timeoutMs: 30_000 };

describe('cancelling a deployment, against the agent process', () => {
  const dataDir = tempDir('sma-deploy-cancel-');
  let rig: Rig;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let server: ArtifactServer;
  let appPort: number;
  let sampler: ProcessSampler;

  const config = async (stepPauseMs = 0): Promise<Record<string, unknown>> => ({
    executor: { type: 'process', stopGraceMs: 2_000 },
    health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
    deploy: { stepPauseMs },
    mqtt: {
      broker: {
        users: [
          { username: 'ops', passwordHash: await hashPassword('ops-secret', CHEAP), role: 'operator' },
          { username: 'app', passwordHash: await hashPassword('app-secret', CHEAP), role: 'service' },
        ],
      },
    },
    http: {
      host: '127.0.0.1',
      port: 0,
      users: [
        { username: 'ops', passwordHash: await hashPassword('ops-secret', CHEAP), role: 'operator' },
        { username: 'app', tokenHash: await hashPassword('app-token', CHEAP), role: 'service' },
      ],
    },
  });
  /** A release padded so that, served at 4 000 bytes a second, its download lasts as long as a test needs. */
  const trickling = (version: string): Record<string, unknown> => {
    const body = release(version, { extra: [{ path: 'app/padding.bin', body: randomBytes(60_000) }] });
    server.files.set(`/${version}.tgz`, { body, bytesPerSecond: 4_000 });
    return { url: server.url(`/${version}.tgz`), sha256: sha256Hex(body) };
  };
  const quick = (version: string): Record<string, unknown> => {
    const body = release(version);
    server.files.set(`/${version}.tgz`, { body });
    return { url: server.url(`/${version}.tgz`), sha256: sha256Hex(body) };
  };
  const reached = (id: string, state: string) => waitFor(`deployment ${state}`, () => eventsOf(mqtt, 'app', id).find((e) => e.state === state), 30_000);
  const partial = (id: string): string => join(dataDir, 'deploy', 'downloads', `${id}.tgz`);
  const cancelOverHttp = (authorization: string) =>
    fetch(`http://127.0.0.1:${agent.httpPort}/api/v3/services/app/deployments/cancel`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{}' });
  const stateOf = async (id: string): Promise<Record<string, unknown> | undefined> => {
    const reply = await mqtt.request('services.deployments', { name: 'app' });
    return (reply.result as { deployments: Array<Record<string, unknown>> }).deployments.find((d) => d.deploymentId === id);
  };
  const connect = (login = OPS): Promise<MqttRequester> => MqttRequester.connect(`mqtt://127.0.0.1:${agent.mqttPort}`, agent.topicRoot, login);
  const versionDirs = (): string[] => readdirSync(join(dataDir, 'versions', 'app')).sort();

  beforeAll(async () => {
    rig = await startRig(await config(), { dataDir, login: OPS });
    ({ agent, mqtt, server, appPort } = rig);
    sampler = new ProcessSampler(`--port ${appPort}`);
    const id = await deploy(mqtt, { name: 'app', version: 'v1', artifact: quick('v1'), gate: QUICK });
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
  }, 60_000);

  afterAll(async () => {
    await stopRig({ ...rig, agent, mqtt, sampler });
  });

  it('a trickling download cancelled over MQTT: FAILED with INTERRUPTED at once, the partial file gone, no new request, v1 untouched (same pid)', async () => {
    const [pid] = pidsWithArg(`--port ${appPort}`);
    const id = await deploy(mqtt, { name: 'app', version: 'v2', artifact: trickling('v2'), gate: QUICK });
    await waitFor('some bytes on disk', () => existsSync(partial(id)), 20_000);
    const t0 = Date.now();
    const reply = await mqtt.request('services.cancel', { name: 'app' });
    expect(reply.error).toBeUndefined();
    expect(reply.result).toMatchObject({ deploymentId: id, name: 'app', version: 'v2', cancelledAt: expect.any(String) });
    const end = await finalEvent(mqtt, 'app', id, 5_000);
    // At once: the rest of the download alone would take another ten seconds and more.
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(end).toMatchObject({ state: 'FAILED', from: 'DOWNLOADING', error: { code: 'INTERRUPTED', message: 'cancelled by ops' } });
    expect(existsSync(partial(id))).toBe(false);
    expect(versionDirs()).toEqual(['v1']);
    const asked = server.requests.filter((r) => r.path === '/v2.tgz').length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(server.requests.filter((r) => r.path === '/v2.tgz').length).toBe(asked);
    expect(pidsWithArg(`--port ${appPort}`)).toEqual([pid]);
    expect(await runningVersion(appPort)).toBe('v1');
    expect(await stateOf(id)).toMatchObject({ state: 'FAILED', cancelledBy: 'ops', cancelledAt: expect.any(String) });
    // Nothing left to cancel.
    expect((await mqtt.request('services.cancel', { name: 'app' })).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a service may not cancel, not even `app` itself (MQTT: not taken; HTTP: 403), and the download goes on; an operator may (HTTP 202)', async () => {
    const id = await deploy(mqtt, { name: 'app', version: 'v3', artifact: trickling('v3'), gate: QUICK });
    await reached(id, 'DOWNLOADING');
    const asService = await mqttConnect(`mqtt://127.0.0.1:${agent.mqttPort}`, { protocolVersion: 4, reconnectPeriod: 0, username: 'app', password: 'app-secret' });
    try {
      // The embedded broker does not let a service publish on an operator's request topic (src/mqtt/broker-acl.ts);
      // the inbox's policy behind it refuses services.cancel to a service too (test/security/operation-policy.test.ts).
      await asService.publishAsync(`${agent.topicRoot}/request/services.cancel`, JSON.stringify({ name: 'app', correlationId: 'svc-cancel' }), { qos: 0 }).catch(() => undefined);
    } finally {
      await asService.endAsync(true);
    }
    const refused = await cancelOverHttp(SERVICE);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('FORBIDDEN');
    await new Promise((r) => setTimeout(r, 300));
    expect(await stateOf(id)).toMatchObject({ state: 'DOWNLOADING' });
    expect((await stateOf(id))?.cancelledAt).toBeUndefined();
    const accepted = await cancelOverHttp(OPERATOR);
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ deploymentId: id });
    expect(await finalEvent(mqtt, 'app', id, 5_000)).toMatchObject({ state: 'FAILED', error: { code: 'INTERRUPTED', message: 'cancelled by ops' } });
    expect(await runningVersion(appPort)).toBe('v1');
  });

  it('while GATING, `sma-bridge services cancel app` rolls back at once: ROLLING_BACK, ROLLED_BACK with INTERRUPTED, v1 running; exit 0', async () => {
    const id = await deploy(mqtt, { name: 'app', version: 'v4', artifact: quick('v4'), gate: { healthyForMs: 8_000, timeoutMs: 60_000 } });
    await reached(id, 'GATING');
    await waitFor('v4 answering', async () => (await runningVersion(appPort)) === 'v4', 5_000);
    const t0 = Date.now();
    const cli = await run(process.execPath, [BIN, 'services', 'cancel', 'app', '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', agent.agentId, '--username', 'ops', '--password', 'ops-secret'], { timeout: 50_000 });
    expect(cli.stdout).toMatch(/app v4: ROLLING_BACK INTERRUPTED: cancelled by ops/);
    expect(cli.stdout).toMatch(/app v4: ROLLED_BACK/);
    const rolledBack = eventsOf(mqtt, 'app', id).find((e) => e.state === 'ROLLING_BACK')!;
    expect(rolledBack).toMatchObject({ from: 'GATING', error: { code: 'INTERRUPTED' } });
    // Long before the gate's 8 s would have ended (the rollback is then gated the same way: ROLLED_BACK 8 s later).
    expect(Date.parse(String(rolledBack.at)) - t0).toBeLessThan(4_000);
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'INTERRUPTED' } });
    expect(await runningVersion(appPort)).toBe('v1');
    // A rollback keeps the version before it: v4 was never good, so it is not kept.
    expect((await mqtt.request('services.deployments', { name: 'app' })).result).toMatchObject({ services: [{ name: 'app', current: 'v1' }] });
  }, 60_000);

  it('at DELIVERED (a held package): the answer itself is FAILED, nothing of it left on disk; v1 runs on (same pid)', async () => {
    const [pid] = pidsWithArg(`--port ${appPort}`);
    const id = await deploy(mqtt, { name: 'app', version: 'v5', artifact: quick('v5'), gate: QUICK, hold: true });
    await reached(id, 'DELIVERED');
    const reply = await mqtt.request('services.cancel', { name: 'app' });
    expect(reply.result).toMatchObject({ deploymentId: id, state: 'FAILED' });
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'FAILED', from: 'DELIVERED', error: { code: 'INTERRUPTED' } });
    expect(existsSync(partial(id))).toBe(false);
    expect(versionDirs()).toEqual(['v1']);
    expect(pidsWithArg(`--port ${appPort}`)).toEqual([pid]);
    expect((await mqtt.request('services.install', { name: 'app' })).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  /** The agent again on the same dataDir (kill -9 first when asked), with a pause after each stored state. */
  const restart = async (kill: boolean, stepPauseMs: number): Promise<void> => {
    if (kill) agent.child.kill('SIGKILL');
    await agent.stop();
    await mqtt.close();
    agent = await startAgent(await config(stepPauseMs), { dataDir });
    mqtt = await connect();
  };

  it("at start, downloads of ended deployments (a crash between the end and its clean-up) are removed; a held package's stays", async () => {
    const artifact = quick('v5b');
    const id = await deploy(mqtt, { name: 'app', version: 'v5b', artifact, gate: QUICK, hold: true });
    await reached(id, 'DELIVERED');
    expect(existsSync(partial(id))).toBe(true);
    const stale = ['0f8e2a57-5c1d-4d0e-9a43-3b2f6c7d8e91.tgz', '0f8e2a57-5c1d-4d0e-9a43-3b2f6c7d8e91.tgz.sig', '5b6c7d8e-0000-4000-8000-000000000001.tgz'];
    for (const name of stale) writeFileSync(join(dataDir, 'deploy', 'downloads', name), randomBytes(4096));
    await restart(false, 0);
    expect(readdirSync(join(dataDir, 'deploy', 'downloads')).sort()).toEqual([`${id}.tgz`]);
    expect(agent.logs().some((l) => l.msg === 'removed downloads of deployments that had ended')).toBe(true);
    // The held package is whole (then dropped: the trials below start from v1 alone).
    expect(sha256Hex(readFileSync(partial(id)))).toBe(artifact.sha256);
    expect((await mqtt.request('services.cancel', { name: 'app' })).result).toMatchObject({ deploymentId: id, state: 'FAILED' });
  }, 60_000);

  describe('a cancel stored, then kill -9 before it acted (deploy.stepPauseMs holds each state after it is stored)', () => {
    // The cancel lands in the pause of the state named, and the kill right after its answer: the restarted agent
    // finds the deployment in that state with its cancel, and must act on the cancel instead of going on.
    const PAUSE_MS = 1_500;
    let n = 6;

    beforeAll(async () => {
      await restart(false, PAUSE_MS);
      await waitFor('v1 back', async () => (await runningVersion(appPort)) === 'v1', 20_000);
    }, 30_000);

    it.each([
      ['DOWNLOADING', 'FAILED'],
      ['VERIFYING', 'FAILED'],
      ['INSTALLING', 'FAILED'],
      ['SWITCHING', 'ROLLED_BACK'],
      ['GATING', 'ROLLED_BACK'],
    ])('in %s: after the restart it ends %s with INTERRUPTED, v1 running, nothing of the release left', async (state, ending) => {
      const version = `v${n++}`;
      const id = await deploy(mqtt, { name: 'app', version, artifact: quick(version), gate: QUICK });
      await reached(id, state);
      const reply = await mqtt.request('services.cancel', { name: 'app' });
      expect(reply.result).toMatchObject({ deploymentId: id, state, cancelledAt: expect.any(String) });
      await restart(true, PAUSE_MS);
      const end = await waitFor('the deployment to end after the restart', async () => {
        const d = await stateOf(id);
        return d && ['DONE', 'FAILED', 'ROLLED_BACK'].includes(String(d.state)) ? d : undefined;
      }, 40_000);
      expect(end).toMatchObject({ state: ending, error: { code: 'INTERRUPTED', message: 'cancelled by ops' } });
      expect(existsSync(partial(id))).toBe(false);
      await waitFor('v1 running after the restart', async () => (await runningVersion(appPort)) === 'v1', 20_000);
      expect(versionDirs()).toEqual(['v1']);
      if (ending === 'FAILED') expect(eventsOf(mqtt, 'app', id).map((e) => e.state)).not.toContain('SWITCHING');
    }, 90_000);
  });

  it('never ran two versions at once (sampled all along, through the kill and restart)', () => {
    expect(sampler.samples).toBeGreaterThan(50);
    expect(sampler.most).toBe(1);
  });
});
