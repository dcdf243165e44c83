// Issue 24 acceptance, on every front (MQTT, HTTP SMA API, LwM2M Execute, CLI), the agent as a real process:
// a service registered through Keeper without a start command or container (its process is the test's, not
// the agent's) answers stop/start/restart with EXECUTOR_FAILED and keeps its status, its checks and its
// process; `start` of a RUNNING service answers OK RUNNING with no event; a restarted healthy service is UP
// within about a second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from '../lwm2m/fixtures/server-process.js';

const run = promisify(execFile);
const SIM = join(ROOT, 'firmware-sim/service.js');
const EP = 'honest-gw';
const NOT_RUN = 'sma-bridge does not run keeper-svc: it was registered without a start command or container';

interface View { name: string; instanceId: number; status: string; health: string; lastCheckAt?: string }
interface Item { name: string; result: string; status: string; error?: { code: string; message: string } }

describe('operations on a service sma-bridge does not run, on every front', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let server: Lwm2mServerProcess;
  let external: ChildProcess;
  let extPort: number;
  let ownPort: number;

  beforeAll(async () => {
    extPort = await freePort();
    ownPort = await freePort();
    // The "Keeper-registered" service: a process the test started, which the agent only checks.
    external = spawn(process.execPath, [SIM, '--port', String(extPort), '--name', 'keeper-svc'], { stdio: 'ignore' });
    server = await Lwm2mServerProcess.start();
    agent = await startAgent({
      agent: { id: EP },
      health: { intervalMs: 300, timeoutMs: 300, retries: 2, restartDelayMs: 100 },
      lwm2m: { ...PIGGYBACK_ONLY, serverUri: `coap://127.0.0.1:${server.port}`, lifetimeS: 60, localPort: await freeUdpPort() },
    });
    mqtt = await MqttRequester.forAgent(agent);
    await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
    const add = await fetch(`http://127.0.0.1:${agent.httpPort}/api/v3/registry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v3', registration: { serviceId: 'keeper-svc', host: '127.0.0.1', port: extPort, healthCheck: { type: 'http', path: '/ping', interval: '300ms' } } }),
    });
    expect(add.status).toBe(201);
    const own = await mqtt.request('registry.register', {
      name: 'own-svc',
      check: { type: 'http', url: `http://127.0.0.1:${ownPort}/health` },
      start: { command: process.execPath, args: [SIM, '--port', String(ownPort)] },
    });
    expect(own.ok).toBe(true);
    await waitFor('keeper-svc UP', async () => (await view('keeper-svc'))?.health === 'UP', 10_000);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await server?.stop();
    external?.kill('SIGKILL');
    killAll(`--port ${ownPort}`);
  });

  async function view(name: string): Promise<View | undefined> {
    return ((await mqtt.request('services.list')).result as View[]).find((v) => v.name === name);
  }

  /** Status, health and the process are as they were, and checks go on (lastCheckAt moves). */
  async function unchanged(before: View): Promise<void> {
    const now = await view('keeper-svc');
    expect(now).toMatchObject({ status: before.status, health: before.health });
    expect(external.exitCode).toBeNull();
    expect(external.signalCode).toBeNull();
    await waitFor('a later check', async () => (await view('keeper-svc'))!.lastCheckAt !== before.lastCheckAt, 5_000);
    expect((await view('keeper-svc'))?.health).toBe('UP');
  }

  it('MQTT: stop, start and restart answer EXECUTOR_FAILED items and change nothing', async () => {
    const before = (await view('keeper-svc'))!;
    expect(before).toMatchObject({ status: 'RUNNING', health: 'UP' });
    const eventsBefore = mqtt.events('service/keeper-svc').length;
    for (const op of ['services.stop', 'services.start', 'services.restart']) {
      const reply = await mqtt.request(op, { names: ['keeper-svc'] });
      expect(reply.ok).toBe(true);
      expect(reply.result).toEqual([{ name: 'keeper-svc', result: 'FAILED', status: 'RUNNING', error: { code: 'EXECUTOR_FAILED', message: NOT_RUN } }]);
    }
    expect(mqtt.events('service/keeper-svc').length).toBe(eventsBefore);
    await unchanged(before);
  });

  it('HTTP SMA API: POST /api/v2 and /api/v3 system/operation answer the item with 500 and the reason', async () => {
    const before = (await view('keeper-svc'))!;
    for (const api of ['v2', 'v3']) {
      for (const action of ['stop', 'start', 'restart']) {
        const res = await fetch(`http://127.0.0.1:${agent.httpPort}/api/${api}/system/operation`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ apiVersion: api, serviceName: 'keeper-svc', action }]),
        });
        expect(res.status).toBe(207);
        expect(await res.json()).toEqual([expect.objectContaining({ serviceName: 'keeper-svc', statusCode: 500, message: NOT_RUN })]);
      }
    }
    await unchanged(before);
  });

  it('LwM2M Execute on Start, Stop and Restart fails with the reason in Last Result', async () => {
    const before = (await view('keeper-svc'))!;
    for (const resource of [4, 3, 5]) {
      await expect(server.command('execute', { ep: EP, path: `/33000/${before.instanceId}/${resource}` })).rejects.toThrow();
    }
    expect(await server.command('read', { ep: EP, path: `/33000/${before.instanceId}/12` })).toBe(`restart FAILED: ${NOT_RUN}`);
    await unchanged(before);
  });

  it('CLI: services stop exits 1, its table gives the reason', async () => {
    const before = (await view('keeper-svc'))!;
    const common = ['--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', EP];
    const failed = await run(process.execPath, [BIN, 'services', 'stop', 'keeper-svc', ...common], { timeout: 20_000 }).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('stop failed for keeper-svc');
    // The table names the error and its reason.
    expect(failed?.stdout).toMatch(/keeper-svc\s+FAILED\s+RUNNING\s+EXECUTOR_FAILED/);
    expect(failed?.stdout).toContain('sma-bridge does not run keeper-svc');
    await unchanged(before);
  });

  it('start of a RUNNING service answers OK RUNNING and sends no event; a restart is UP again within about a second', async () => {
    expect(((await mqtt.request('services.start', { names: ['own-svc'] })).result as Item[])[0]).toMatchObject({ result: 'OK' });
    await waitFor('own-svc RUNNING', async () => (await view('own-svc'))?.status === 'RUNNING', 10_000);
    const eventsBefore = mqtt.events('service/own-svc').length;
    const again = await mqtt.request('services.start', { names: ['own-svc'] });
    expect(again.result).toEqual([{ name: 'own-svc', result: 'OK', status: 'RUNNING' }]);
    await new Promise((r) => setTimeout(r, 500));
    expect(mqtt.events('service/own-svc').length).toBe(eventsBefore);

    const asked = Date.now();
    const restarted = await mqtt.request('services.restart', { names: ['own-svc'] });
    expect(((restarted.result as Item[])[0])).toMatchObject({ result: 'OK', status: 'STARTING' });
    const up = await waitFor('HEALTH UP after the restart', () => mqtt.events('service/own-svc').slice(eventsBefore).find((e) => e.type === 'HEALTH' && e.to === 'UP'), 5_000);
    expect(Date.parse(String(up.at)) - asked).toBeLessThan(1_500);
    const healthChanges = mqtt.events('service/own-svc').slice(eventsBefore).filter((e) => e.type === 'HEALTH').map((e) => e.to);
    expect(healthChanges).toEqual(['UNKNOWN', 'UP']);
  });
});
