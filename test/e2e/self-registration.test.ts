// CONTRACT section 7 and the EdgeX seeds: services register themselves and deregister when they stop
// gracefully. firmware-sim/service.js --register does both over MQTT; the agent shows it, then HALT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

interface View { name: string; status: string; health: string; port?: number }

describe('a service that registers and deregisters itself', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let service: ChildProcess | undefined;

  beforeAll(async () => {
    agent = await startAgent({ agent: { id: 'selfreg' }, health: { intervalMs: 200, timeoutMs: 300, retries: 2 } });
    mqtt = await MqttRequester.forAgent(agent);
  });

  afterAll(async () => {
    service?.kill('SIGKILL');
    await mqtt?.close();
    await agent?.stop();
  });

  const list = async (includeDeregistered = false) => (await mqtt.request('services.list', { includeDeregistered })).result as View[];

  it('appears, is checked UP, and is HALT (hidden) after SIGTERM', async () => {
    service = spawn(process.execPath, [join(ROOT, 'firmware-sim/service.js'), '--port', '0', '--name', 'self-svc', '--mqtt', `mqtt://127.0.0.1:${agent.mqttPort}`, '--topic-root', agent.topicRoot, '--register'], { stdio: 'ignore' });
    const up = await waitFor('self-svc UP', async () => (await list()).find((v) => v.name === 'self-svc' && v.health === 'UP'));
    expect(up.port).toBeGreaterThan(0);
    const gone = new Promise((r) => service!.once('exit', r));
    service.kill('SIGTERM');
    await gone;
    await waitFor('self-svc deregistered', async () => !(await list()).some((v) => v.name === 'self-svc'));
    expect((await list(true)).find((v) => v.name === 'self-svc')?.status).toBe('HALT');
    expect(mqtt.events('service/self-svc').map((e) => e.type)).toEqual(expect.arrayContaining(['REGISTERED', 'DEREGISTERED']));
  });
});
