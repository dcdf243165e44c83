// Issue 25 acceptance, end to end: the agent as a real process from its bin, a real HTTP artifact server,
// tarballs made here. v1 and v2 DONE (v2's download cut once and resumed with Range); a wrong SHA-256, a
// bad and a missing signature end INTEGRITY with the running version untouched; a release that crashes
// after start is rolled back within its gate; `..`, absolute and outward-link entries end INSTALL with
// nothing written outside; a second deployment meanwhile gets CONFLICT; a rollback switches back.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import type { ArtifactServer } from './artifact-server.js';
import { deploy, eventsOf, finalEvent, ProcessSampler, runningVersion, startRig, stopRig } from './deploy-rig.js';
import { release, sha256Hex, signingKey, tarball } from './tarball.js';

const GATE = { healthyForMs: 1_000, timeoutMs: 15_000 };

describe('deployments of a process service, end to end', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let server: ArtifactServer;
  let appPort: number;
  let sampler: ProcessSampler;
  const key = signingKey();
  const stranger = signingKey();
  const outside = tempDir('sma-deploy-outside-');

  /** Serves `body` at `/name` and answers the artifact of a deploy request for it, signed by `signer` (or not). */
  const artifact = (path: string, body: Buffer, signer: ReturnType<typeof signingKey> | null = key): Record<string, unknown> => {
    server.files.set(path, { body });
    return { url: server.url(path), sha256: sha256Hex(body), ...(signer ? { signature: signer.signDigest(body) } : {}) };
  };

  const serviceView = async (): Promise<Record<string, unknown> | undefined> =>
    ((await mqtt.request('services.list')).result as Array<Record<string, unknown>>).find((v) => v.name === 'app');

  beforeAll(async () => {
    ({ server, appPort, agent, mqtt } = await startRig({
      executor: 'process',
      health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
      deploy: { trustedKeys: [key.publicPem], requireSignature: true },
    }));
    sampler = new ProcessSampler(`--port ${appPort}`);
  });

  afterAll(() => stopRig({ sampler, mqtt, agent, server, appPort }));

  it('deploys v1: DONE, v1 runs, ServiceView says version v1', async () => {
    const id = await deploy(mqtt, { name: 'app', version: 'v1', artifact: artifact('/app-v1.tgz', release('v1')), gate: GATE });
    const end = await finalEvent(mqtt, 'app', id);
    expect(end).toMatchObject({ type: 'DEPLOY', state: 'DONE', name: 'app', version: 'v1' });
    expect(eventsOf(mqtt, 'app', id).map((e) => e.state).filter((s, i, a) => a.indexOf(s) === i)).toEqual(['DOWNLOADING', 'VERIFYING', 'INSTALLING', 'SWITCHING', 'GATING', 'DONE']);
    expect(await runningVersion(appPort)).toBe('v1');
    expect(await serviceView()).toMatchObject({ status: 'RUNNING', health: 'UP', version: 'v1' });
  });

  it('deploys v2 through a download cut halfway (resumed with Range): DONE, v2 runs, v1 kept as previous', async () => {
    const body = release('v2', { extra: [{ path: 'app/padding.bin', body: randomBytes(300_000) }] });
    const a = artifact('/app-v2.tgz', body);
    server.files.get('/app-v2.tgz')!.cutAfter = Math.floor(body.length / 2);
    const id = await deploy(mqtt, { name: 'app', version: 'v2', artifact: a, gate: GATE });
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    const asked = server.requests.filter((r) => r.path === '/app-v2.tgz');
    expect(asked.length).toBe(2);
    // The second request asks only for what the first did not bring (what arrived before the cut was kept).
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(asked[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(Math.floor(body.length / 2));
    const progress = eventsOf(mqtt, 'app', id).filter((e) => e.state === 'DOWNLOADING' && e.bytes !== undefined);
    expect(progress.at(-1)).toMatchObject({ bytes: body.length, total: body.length });
    expect(await runningVersion(appPort)).toBe('v2');
    const listed = (await mqtt.request('services.deployments', { name: 'app' })).result as { services: unknown[]; deployments: Array<Record<string, unknown>> };
    expect(listed.services).toEqual([{ name: 'app', current: 'v2', previous: 'v1' }]);
    expect(listed.deployments.map((d) => [d.version, d.state])).toEqual([['v1', 'DONE'], ['v2', 'DONE']]);
  });

  it.each([
    ['a wrong SHA-256', 'v3-badsha', (body: Buffer) => ({ ...artifact('/bad-sha.tgz', body), sha256: sha256Hex(Buffer.from('other')) }), /SHA-256/],
    ['a signature by an untrusted key', 'v3-badsig', (body: Buffer) => artifact('/bad-sig.tgz', body, stranger), /signature/],
    ['no signature (deploy.requireSignature)', 'v3-unsigned', (body: Buffer) => artifact('/unsigned.tgz', body, null), /unsigned/],
  ])('%s ends FAILED with INTEGRITY, v2 running untouched, nothing installed', async (_what, version, make, message) => {
    const [pid] = pidsWithArg(`--port ${appPort}`);
    const id = await deploy(mqtt, { name: 'app', version, artifact: make(release(version)), gate: GATE });
    const end = await finalEvent(mqtt, 'app', id);
    expect(end).toMatchObject({ state: 'FAILED', error: { code: 'INTEGRITY' } });
    expect(String((end.error as { message: string }).message)).toMatch(message);
    expect(eventsOf(mqtt, 'app', id).map((e) => e.state)).not.toContain('INSTALLING');
    expect(pidsWithArg(`--port ${appPort}`)).toEqual([pid]);
    expect(await runningVersion(appPort)).toBe('v2');
    expect(existsSync(join(agent.dataDir, 'versions/app', version))).toBe(false);
  });

  it('a release that crashes after start is rolled back within its gate: ROLLED_BACK, v2 running and UP again', async () => {
    const id = await deploy(mqtt, { name: 'app', version: 'v3', artifact: artifact('/app-v3.tgz', release('v3', { crashAfterMs: 400 })), gate: { healthyForMs: 3_000, timeoutMs: 15_000 } });
    const end = await finalEvent(mqtt, 'app', id);
    expect(end).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'GATE' } });
    const states = eventsOf(mqtt, 'app', id).map((e) => e.state);
    expect(states.slice(states.indexOf('GATING'))).toEqual(['GATING', 'ROLLING_BACK', 'ROLLED_BACK']);
    expect(await runningVersion(appPort)).toBe('v2');
    expect(await serviceView()).toMatchObject({ status: 'RUNNING', health: 'UP', version: 'v2' });
    // The failed release's directory is gone; the two good versions stay.
    expect(readdirSync(join(agent.dataDir, 'versions/app')).sort()).toEqual(['v1', 'v2']);
  });

  it.each([
    ['a `..` entry', 'v4-dotdot', () => [{ path: 'app/../../escaped-dotdot', body: 'x' }]],
    ['an absolute entry', 'v4-absolute', () => [{ path: join(outside, 'escaped-absolute'), body: 'x' }]],
    ['a link pointing out', 'v4-link', () => [{ path: 'app/out', type: 'symlink' as const, linkpath: '../../../../../../../..' + outside }, { path: 'app/out/escaped-link', body: 'x' }]],
    ['a link pointing out alone', 'v4-linkonly', () => [{ path: 'app/etc', type: 'symlink' as const, linkpath: '/etc' }]],
    // A hard link to a symbolic link is the link itself in a new place, where its `..` climbs out.
    ['a hard link that moves a link', 'v4-hardlink', () => [{ path: 'app/s', type: 'symlink' as const, linkpath: '../x' }, { path: 'h', type: 'hardlink' as const, linkpath: 'app/s' }]],
  ])('%s ends FAILED with INSTALL and writes nothing outside', async (_what, version, extra) => {
    const id = await deploy(mqtt, { name: 'app', version, artifact: artifact(`/${version}.tgz`, release(version, { extra: extra() })), gate: GATE });
    const end = await finalEvent(mqtt, 'app', id);
    expect(end).toMatchObject({ state: 'FAILED', error: { code: 'INSTALL' } });
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(agent.dataDir, 'versions/escaped-dotdot'))).toBe(false);
    expect(existsSync(join(agent.dataDir, 'escaped-dotdot'))).toBe(false);
    expect(readdirSync(join(agent.dataDir, 'versions/app')).sort()).toEqual(['v1', 'v2']);
    expect(await runningVersion(appPort)).toBe('v2');
  });

  it('a second deployment of the service while one runs gets CONFLICT', async () => {
    const slow = release('v5');
    const a = artifact('/app-v5.tgz', slow);
    server.files.get('/app-v5.tgz')!.bytesPerSecond = 4_000;
    const id = await deploy(mqtt, { name: 'app', version: 'v5', artifact: a, gate: GATE });
    const second = await mqtt.request('services.deploy', { name: 'app', version: 'v6', artifact: artifact('/app-v6.tgz', release('v6')), gate: GATE });
    expect(second).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const rollback = await mqtt.request('services.rollback', { name: 'app' });
    expect(rollback).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    server.files.get('/app-v5.tgz')!.bytesPerSecond = undefined;
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    expect(await runningVersion(appPort)).toBe('v5');
  });

  it('services.rollback switches back to the previous version with the gate: DONE, v2 runs again', async () => {
    const reply = await mqtt.request('services.rollback', { name: 'app' });
    expect(reply.ok).toBe(true);
    const id = (reply.result as { deploymentId: string }).deploymentId;
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE', version: 'v2' });
    expect(await runningVersion(appPort)).toBe('v2');
    const listed = (await mqtt.request('services.deployments', { name: 'app' })).result as { services: unknown[] };
    expect(listed.services).toEqual([{ name: 'app', current: 'v2', previous: 'v5' }]);
    expect(await serviceView()).toMatchObject({ version: 'v2' });
  });

  it('never ran two versions at once (sampled all along)', () => {
    expect(sampler.samples).toBeGreaterThan(100);
    expect(sampler.most).toBe(1);
  });
});
