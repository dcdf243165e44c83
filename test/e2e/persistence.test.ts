// Issue 2 acceptance: SIGTERM the agent and start it again on the same dataDir: registrations, configs,
// restart counts and desired states survive, and every service is re-checked before it is reported UP.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startAgent, ROOT, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
interface View { name: string; status: string; health: string; restarts: number }

describe('agent restart on the same dataDir', () => {
  const dataDir = tempDir();
  const ports: number[] = [];
  let agent: AgentProcess | undefined;
  let mqtt: MqttRequester | undefined;

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    for (const p of ports) killAll(`--port ${p}`);
  });

  const health = { intervalMs: 300, timeoutMs: 500, retries: 2, restartDelayMs: 100, backoffMaxMs: 400, maxRestarts: 5, restartWindowMs: 60_000 };
  const boot = async (): Promise<MqttRequester> => {
    agent = await startAgent({ health }, { dataDir });
    mqtt = await MqttRequester.forAgent(agent);
    return mqtt;
  };
  const list = async (m: MqttRequester): Promise<View[]> => (await m.request('services.list')).result as View[];

  it('keeps registrations, configs, restart counts and desired states', async () => {
    const [alpha, beta] = [await freePort(), await freePort()];
    ports.push(alpha, beta);
    let m = await boot();
    for (const [name, port] of [['alpha', alpha], ['beta', beta]] as const) {
      const reg = await m.request('registry.register', {
        name,
        check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
        start: { command: process.execPath, args: [SIM, '--port', String(port), '--name', name] },
        config: { level: 1 },
      });
      expect(reg.ok, JSON.stringify(reg)).toBe(true);
    }
    expect((await m.request('services.start', { all: true })).ok).toBe(true);
    await waitFor('both UP', async () => (await list(m)).every((v) => v.health === 'UP'));
    const set = await m.request('config.set', { name: 'alpha', config: { level: 7, nested: { a: 1 } } });
    expect(set.ok).toBe(true);
    // One automatic restart of alpha, so there is a count to remember.
    process.kill(pidsWithArg(`--port ${alpha}`)[0], 'SIGKILL');
    await waitFor('alpha restarted', async () => (await list(m)).find((v) => v.name === 'alpha')?.restarts === 1);
    await waitFor('alpha UP', async () => (await list(m)).find((v) => v.name === 'alpha')?.health === 'UP');
    expect((await m.request('services.stop', { names: ['beta'] })).ok).toBe(true);
    await m.close();
    expect(await agent!.stop('SIGTERM')).toBe(0);

    m = await boot();
    const first = await list(m);
    // Nothing remembered is trusted: right after start no service is UP until it has been checked.
    expect(first.map((v) => v.name).sort()).toEqual(['alpha', 'beta']);
    expect(first.find((v) => v.name === 'beta')?.health).not.toBe('UP');
    const cfg = await m.request('config.get', { name: 'alpha' });
    expect(cfg.result).toEqual({ name: 'alpha', config: { level: 7, nested: { a: 1 } } });
    await waitFor('alpha UP after restart', async () => (await list(m)).find((v) => v.name === 'alpha')?.health === 'UP');
    const after = await list(m);
    expect(after.find((v) => v.name === 'alpha')?.restarts).toBe(1);
    // beta was stopped by an operator: still stopped, never started by the agent.
    await new Promise((r) => setTimeout(r, 1_000));
    const beta2 = (await list(m)).find((v) => v.name === 'beta');
    expect(beta2?.status).toBe('STOPPED');
    expect(pidsWithArg(`--port ${beta}`)).toHaveLength(0);
  });

  it('after a SIGKILL, stops the service processes the dead agent left behind instead of running them twice', async () => {
    const port = await freePort();
    ports.push(port);
    const m = mqtt!;
    const reg = await m.request('registry.register', {
      name: 'gamma',
      check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
      start: { command: process.execPath, args: [SIM, '--port', String(port), '--name', 'gamma'] },
    });
    expect(reg.ok).toBe(true);
    expect((await m.request('services.start', { names: ['gamma'] })).ok).toBe(true);
    // UP means it is listening (and has written its start-up line to the pipe the agent will lose).
    await waitFor('gamma UP', async () => (await list(m)).find((v) => v.name === 'gamma')?.health === 'UP');
    const [orphan] = pidsWithArg(`--port ${port}`);
    await m.close();
    await agent!.stop('SIGKILL');
    expect(pidsWithArg(`--port ${port}`)).toEqual([orphan]);

    const m2 = await boot();
    await waitFor('gamma RUNNING again', async () => (await list(m2)).find((v) => v.name === 'gamma')?.status === 'RUNNING');
    await waitFor('gamma UP again', async () => (await list(m2)).find((v) => v.name === 'gamma')?.health === 'UP');
    await new Promise((r) => setTimeout(r, 1_000));
    const pids = pidsWithArg(`--port ${port}`);
    expect(pids).toHaveLength(1);
    expect(pids[0]).not.toBe(orphan);
    expect((await list(m2)).find((v) => v.name === 'gamma')?.restarts).toBe(0);
  });
});
