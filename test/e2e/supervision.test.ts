// Issue 2 acceptance: services registered over MQTT, run by the process executor, health-checked and
// restarted; a service that always crashes ends FAILED with GAVE_UP; an operator start clears FAILED.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startAgent, ROOT, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');

interface View { name: string; status: string; health: string; restarts: number }

describe('supervision with the process executor', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let webPort: number;
  let workerPort: number;

  beforeAll(async () => {
    webPort = await freePort();
    workerPort = await freePort();
    agent = await startAgent({
      health: { intervalMs: 200, timeoutMs: 500, retries: 2, restartDelayMs: 100, backoffMaxMs: 400, maxRestarts: 2, restartWindowMs: 60_000 },
    });
    mqtt = await MqttRequester.forAgent(agent);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    killAll(`--port ${webPort}`);
    killAll(`--port ${workerPort}`);
  });

  const list = async (): Promise<View[]> => {
    const reply = await mqtt.request('services.list');
    expect(reply.ok).toBe(true);
    return reply.result as View[];
  };
  const view = async (name: string): Promise<View | undefined> => (await list()).find((v) => v.name === name);

  it('registers three services and starts them', async () => {
    const regs = [
      { name: 'web', check: { type: 'http', url: `http://127.0.0.1:${webPort}/health` }, start: { command: process.execPath, args: [SIM, '--port', String(webPort), '--name', 'web'] } },
      { name: 'worker', check: { type: 'process' }, start: { command: process.execPath, args: [SIM, '--port', String(workerPort), '--name', 'worker'] } },
      { name: 'crasher', check: { type: 'process' }, start: { command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(3), 50)'] } },
    ];
    for (const r of regs) {
      const reply = await mqtt.request('registry.register', r);
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
    }
    const started = await mqtt.request('services.start', { names: ['web', 'worker'] });
    expect(started.ok).toBe(true);
    expect((started.result as Array<{ name: string; result: string }>).map((i) => [i.name, i.result])).toEqual([
      ['web', 'OK'],
      ['worker', 'OK'],
    ]);
    await waitFor('web UP', async () => (await view('web'))?.health === 'UP');
    await waitFor('worker UP', async () => (await view('worker'))?.health === 'UP');
  });

  it('restarts a SIGKILLed service: DOWN at its exit, a RESTART event, restart count 1', async () => {
    const before = pidsWithArg(`--port ${webPort}`);
    expect(before).toHaveLength(1);
    process.kill(before[0], 'SIGKILL');
    await waitFor('web DOWN event', () => mqtt.events('service/web').find((e) => e.type === 'HEALTH' && e.to === 'DOWN'));
    const restart = await waitFor('web RESTART event', () => mqtt.events('service/web').find((e) => e.type === 'RESTART'));
    expect(restart.attempt).toBe(1);
    await waitFor('web UP again', async () => (await view('web'))?.health === 'UP');
    expect((await view('web'))?.restarts).toBe(1);
    const after = pidsWithArg(`--port ${webPort}`);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
  });

  it('gives up on a service that always crashes, and an operator start clears FAILED', async () => {
    const started = await mqtt.request('services.start', { names: ['crasher'] });
    expect(started.ok).toBe(true);
    const gaveUp = await waitFor('GAVE_UP', () => mqtt.events('service/crasher').find((e) => e.type === 'GAVE_UP'), 30_000);
    expect(gaveUp.name).toBe('crasher');
    const failed = await view('crasher');
    expect(failed?.status).toBe('FAILED');
    const restartsAtGiveUp = failed!.restarts;
    // Given up means no more restarts, however long it stays down.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await view('crasher'))?.restarts).toBe(restartsAtGiveUp);
    expect(mqtt.events('service/crasher').filter((e) => e.type === 'RESTART')).toHaveLength(restartsAtGiveUp);

    const manual = await mqtt.request('services.start', { names: ['crasher'] });
    const item = (manual.result as Array<{ result: string; status: string }>)[0];
    expect(item.result).toBe('OK');
    expect(item.status).not.toBe('FAILED');
  });

  it('never restarts a service an operator stopped', async () => {
    const stopped = await mqtt.request('services.stop', { names: ['worker'] });
    expect((stopped.result as Array<{ result: string }>)[0].result).toBe('OK');
    await waitFor('worker process gone', () => pidsWithArg(`--port ${workerPort}`).length === 0);
    await new Promise((r) => setTimeout(r, 1_000));
    const v = await view('worker');
    expect(v?.status).toBe('STOPPED');
    expect(v?.restarts).toBe(0);
    expect(pidsWithArg(`--port ${workerPort}`)).toHaveLength(0);
  });

  it('answers a batch item by item, NOT_FOUND for an unknown name', async () => {
    const reply = await mqtt.request('services.restart', { names: ['web', 'nope'] });
    expect(reply.ok).toBe(true);
    const items = reply.result as Array<{ name: string; result: string; error?: { code: string } }>;
    expect(items.map((i) => i.name)).toEqual(['web', 'nope']);
    expect(items[0].result).toBe('OK');
    expect(items[1].result).toBe('NOT_FOUND');
    expect(items[1].error?.code).toBe('NOT_FOUND');
  });
});
