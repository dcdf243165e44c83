// Deployments of a container service against a private Docker daemon (test/support/dockerd.ts): the agent as a
// process, images built here FROM scratch with busybox. 1 runs first; 2 comes as an image tarball (`docker save`,
// removed from the engine before it is deployed) served over HTTP, loaded by the agent, the container
// re-created with it: DONE; 3 is an image whose health check fails: ROLLED_BACK to 2 within its gate; a
// tarball with a wrong SHA-256 ends INTEGRITY, nothing loaded; a cancel while GATING goes back to 2 at once;
// services.rollback goes back to 1.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { haveDocker, PrivateDockerd } from '../support/dockerd.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';
import { ArtifactServer } from './artifact-server.js';
import { deploy, finalEvent, runningVersion } from './deploy-rig.js';
import { sha256Hex } from './tarball.js';

describe.runIf(haveDocker())('deployments of a container service', () => {
  let dockerd: PrivateDockerd;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let server: ArtifactServer;
  let port: number;

  /** An image whose httpd answers /health with {"status":"UP","version":V} (or, `broken`, has no /health). */
  const buildImage = async (tag: string, version: string, broken = false): Promise<void> => {
    const ctx = join(dockerd.dir, `ctx-${version}`);
    const health = broken ? '' : `RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /www && echo '{\\"status\\":\\"UP\\",\\"version\\":\\"${version}\\"}' > /www/health"]\n`;
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), `FROM sma-test-busybox\n${health}${broken ? 'RUN ["/bin/busybox", "mkdir", "-p", "/www"]\n' : ''}`);
    await dockerd.docker('build', '-q', '-t', tag, ctx);
  };

  /** Saves `tag` to a tarball served at /name, then removes it from the engine; answers the artifact. */
  const tarballOf = async (tag: string, path: string, digest?: string): Promise<Record<string, unknown>> => {
    const file = join(dockerd.dir, `${path.slice(1)}.tar`);
    await dockerd.docker('save', '-o', file, tag);
    await dockerd.docker('rmi', tag);
    const body = readFileSync(file);
    server.files.set(path, { body });
    return { url: server.url(path), sha256: digest ?? sha256Hex(body) };
  };

  const images = async (): Promise<string> => dockerd.docker('images', '--format', '{{.Repository}}:{{.Tag}}');

  beforeAll(async () => {
    dockerd = await PrivateDockerd.start();
    await dockerd.buildBusybox();
    server = await ArtifactServer.start();
    port = await freePort();
    for (const [tag, v, broken] of [['sma-app:1', '1'], ['sma-app:2', '2'], ['sma-app:3', '3', true], ['sma-app:4', '4']] as Array<[string, string, boolean?]>) await buildImage(tag, v, broken);
    await dockerd.create('capp', ['httpd', '-f', '-p', String(port), '-h', '/www'], { image: 'sma-app:1' });
    agent = await startAgent({
      executor: { type: 'process', docker: { socket: dockerd.socket, stopGraceMs: 1000 } },
      health: { intervalMs: 200, timeoutMs: 300, retries: 2, restartDelayMs: 300, startGraceMs: 1_500 },
      deploy: { gate: { healthyForMs: 1_000, timeoutMs: 20_000 } },
    });
    mqtt = await MqttRequester.forAgent(agent);
    const reg = await mqtt.request('registry.register', { name: 'capp', check: { type: 'http', url: `http://127.0.0.1:${port}/health`, intervalMs: 200 }, container: { name: 'capp' } });
    expect(reg.ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['capp'] })).ok).toBe(true);
    await waitFor('1 running', async () => (await runningVersion(port)) === '1', 20_000);
  }, 180_000);

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await server?.close();
    await dockerd?.close();
  }, 60_000);

  it('an image tarball by URL and SHA-256: loaded, the container re-created with it, DONE, version 2', async () => {
    const artifact = await tarballOf('sma-app:2', '/app-2.tar');
    expect(await images()).not.toContain('sma-app:2');
    const id = await deploy(mqtt, { name: 'capp', version: '2', artifact });
    expect(await finalEvent(mqtt, 'capp', id, 60_000)).toMatchObject({ state: 'DONE' });
    expect(await images()).toContain('sma-app:2');
    expect(await runningVersion(port)).toBe('2');
    expect(JSON.parse(await dockerd.docker('inspect', '--format', '{{json .Config.Image}}', 'capp'))).toBe('sma-app:2');
    const view = ((await mqtt.request('services.list')).result as Array<{ name: string; version?: string }>).find((v) => v.name === 'capp');
    expect(view?.version).toBe('2');
  }, 90_000);

  it('an image whose health check fails is rolled back within its gate: ROLLED_BACK, 2 runs again', async () => {
    const id = await deploy(mqtt, { name: 'capp', version: '3', artifact: { image: 'sma-app:3' } });
    expect(await finalEvent(mqtt, 'capp', id, 60_000)).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'GATE' } });
    expect(await runningVersion(port)).toBe('2');
    expect(JSON.parse(await dockerd.docker('inspect', '--format', '{{json .Config.Image}}', 'capp'))).toBe('sma-app:2');
  }, 90_000);

  it('a tarball with a wrong SHA-256 ends INTEGRITY: nothing loaded, 2 runs on', async () => {
    const artifact = await tarballOf('sma-app:4', '/app-4.tar', 'cd'.repeat(32));
    const id = await deploy(mqtt, { name: 'capp', version: '4', artifact });
    expect(await finalEvent(mqtt, 'capp', id, 60_000)).toMatchObject({ state: 'FAILED', error: { code: 'INTEGRITY' } });
    expect(await images()).not.toContain('sma-app:4');
    expect(await runningVersion(port)).toBe('2');
  }, 90_000);

  it('a cancel while GATING re-creates the container with the image before at once: ROLLED_BACK with INTERRUPTED, 2 runs', async () => {
    const id = await deploy(mqtt, { name: 'capp', version: '1b', artifact: { image: 'sma-app:1' }, gate: { healthyForMs: 6_000, timeoutMs: 60_000 } });
    await waitFor('GATING', () => mqtt.events('deploy/capp').some((e) => e.deploymentId === id && e.state === 'GATING'), 60_000);
    const t0 = Date.now();
    const reply = await mqtt.request('services.cancel', { name: 'capp' });
    expect(reply.result).toMatchObject({ deploymentId: id, state: 'GATING' });
    expect(await finalEvent(mqtt, 'capp', id, 60_000)).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'INTERRUPTED' } });
    // The gate was cut short (the rollback is then gated the same way, 6 s).
    const rollingBack = mqtt.events('deploy/capp').find((e) => e.deploymentId === id && e.state === 'ROLLING_BACK');
    expect(Date.parse(String(rollingBack?.at)) - t0).toBeLessThan(3_000);
    expect(await runningVersion(port)).toBe('2');
    expect(JSON.parse(await dockerd.docker('inspect', '--format', '{{json .Config.Image}}', 'capp'))).toBe('sma-app:2');
  }, 90_000);

  it('services.rollback re-creates the container with the previous image: DONE, 1 runs', async () => {
    const reply = await mqtt.request('services.rollback', { name: 'capp' });
    expect(reply.ok).toBe(true);
    const id = (reply.result as { deploymentId: string }).deploymentId;
    expect(await finalEvent(mqtt, 'capp', id, 60_000)).toMatchObject({ state: 'DONE' });
    expect(await runningVersion(port)).toBe('1');
  }, 90_000);
});
