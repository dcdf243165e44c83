// Container deployments through kill -9 of the agent (private dockerd): killed in INSTALLING, SWITCHING and
// GATING (deploy.stepPauseMs holds each state after it is stored), restarted on the same dataDir, each trial
// ends DONE with the new image in the container `capp`, running and answering, and the replaced container
// kept stopped as `capp.sma-previous`: never two of them running.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { haveDocker, PrivateDockerd } from '../support/dockerd.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';
import { deploy, eventsOf, FINAL, runningVersion } from './deploy-rig.js';

const STATES = ['INSTALLING', 'SWITCHING', 'GATING'] as const;
const TRIALS = Number(process.env.TEST_DEPLOY_CRASH_TRIALS ?? 3);

describe.runIf(haveDocker())('container deployments through kill -9', () => {
  const dataDir = tempDir('sma-deploy-ccrash-');
  let dockerd: PrivateDockerd;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let port: number;
  const config = (): Record<string, unknown> => ({
    executor: { type: 'process', docker: { socket: dockerd.socket, stopGraceMs: 1000 } },
    health: { intervalMs: 200, timeoutMs: 300, retries: 2, restartDelayMs: 300, startGraceMs: 1_500 },
    deploy: { gate: { healthyForMs: 600, timeoutMs: 20_000 }, stepPauseMs: 300 },
  });
  const boot = async (): Promise<void> => {
    agent = await startAgent(config(), { dataDir });
    mqtt = await MqttRequester.forAgent(agent);
  };
  const image = async (version: string): Promise<string> => {
    const ctx = join(dockerd.dir, `ctx-${version}`);
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'Dockerfile'), `FROM sma-test-busybox\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /www && echo '{\\"status\\":\\"UP\\",\\"version\\":\\"${version}\\"}' > /www/health"]\n`);
    await dockerd.docker('build', '-q', '-t', `sma-app:${version}`, ctx);
    return `sma-app:${version}`;
  };
  const running = async (): Promise<string[]> => (await dockerd.docker('ps', '--format', '{{.Names}}')).split('\n').filter((n) => n.startsWith('capp'));

  beforeAll(async () => {
    dockerd = await PrivateDockerd.start();
    await dockerd.buildBusybox();
    port = await freePort();
    await dockerd.create('capp', ['httpd', '-f', '-p', String(port), '-h', '/www'], { image: await image('0') });
    await boot();
    expect((await mqtt.request('registry.register', { name: 'capp', check: { type: 'http', url: `http://127.0.0.1:${port}/health`, intervalMs: 200 }, container: { name: 'capp' } })).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['capp'] })).ok).toBe(true);
    await waitFor('0 running', async () => (await runningVersion(port)) === '0', 20_000);
  }, 180_000);

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await dockerd?.close();
  }, 60_000);

  describe.each(STATES)('killed in %s', (state) => {
    it.each(Array.from({ length: TRIALS }, (_, i) => i + 1))('trial %i ends DONE with the new image, one container running', async (trial) => {
      const version = `${state.slice(0, 3).toLowerCase()}${trial}`;
      const id = await deploy(mqtt, { name: 'capp', version, artifact: { image: await image(version) } });
      await waitFor(`${state} event`, () => eventsOf(mqtt, 'capp', id).find((e) => e.state === state), 30_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
      agent.child.kill('SIGKILL');
      await agent.stop();
      await mqtt.close();
      await boot();
      const end = await waitFor(`deployment ${id} to end`, async () => {
        const list = (await mqtt.request('services.deployments', { name: 'capp' })).result as { deployments: Array<{ deploymentId: string; state: string }> };
        const d = list.deployments.find((x) => x.deploymentId === id);
        return d && FINAL.has(d.state) ? d : undefined;
      }, 60_000);
      expect(end.state).toBe('DONE');
      await waitFor(`${version} answering`, async () => (await runningVersion(port)) === version, 20_000);
      expect(await running()).toEqual(['capp']);
      expect(JSON.parse(await dockerd.docker('inspect', '--format', '{{json .Config.Image}}', 'capp'))).toBe(`sma-app:${version}`);
    }, 120_000);
  });
});
