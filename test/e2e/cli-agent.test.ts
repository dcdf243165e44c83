// The CLI as a real process against the agent as a real process: the client commands of CONTRACT section 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';

const run = promisify(execFile);

describe('sma-bridge client commands against a running agent', () => {
  let agent: AgentProcess;
  let cli: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

  beforeAll(async () => {
    agent = await startAgent({ agent: { id: 'cli-gw' } });
    const mqtt = await MqttRequester.forAgent(agent);
    const sleeper = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
    for (const name of ['alpha', 'beta']) {
      expect((await mqtt.request('registry.register', { name, check: { type: 'process' }, start: sleeper, config: { level: 1 } })).ok).toBe(true);
    }
    await mqtt.close();
    const common = ['--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', 'cli-gw'];
    cli = async (...args) => {
      try {
        const { stdout, stderr } = await run(process.execPath, [BIN, ...args, ...common], { timeout: 20_000 });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
  });

  afterAll(async () => {
    await agent?.stop();
  });

  it('starts, restarts and stops services, with a row per name', async () => {
    const started = await cli('services', 'start', '--all', '--json');
    expect(started.code, started.stderr).toBe(0);
    expect((JSON.parse(started.stdout) as Array<{ name: string; result: string }>).map((i) => [i.name, i.result])).toEqual([
      ['alpha', 'OK'],
      ['beta', 'OK'],
    ]);
    const restarted = await cli('services', 'restart', 'alpha');
    expect(restarted.code, restarted.stderr).toBe(0);
    // Until its next check confirms it, a restarted service is STARTING.
    expect(restarted.stdout).toMatch(/^alpha\s+OK\s+(STARTING|RUNNING)/m);
    const stopped = await cli('services', 'stop', 'beta', 'nope');
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toMatch(/^beta\s+OK\s+STOPPED/m);
    expect(stopped.stdout).toMatch(/^nope\s+NOT_FOUND/m);
  });

  it('reads metrics and health', async () => {
    const metrics = await cli('services', 'metrics', 'alpha', '--json');
    expect(metrics.code, metrics.stderr).toBe(0);
    expect((JSON.parse(metrics.stdout) as Array<{ memoryBytes: number }>)[0].memoryBytes).toBeGreaterThan(0);
    const health = await cli('services', 'health');
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout).toMatch(/alpha/);
  });

  it('sets and gets configuration, dotted keys nesting', async () => {
    const set = await cli('config', 'set', 'alpha', 'db.port=5432', 'mode=fast');
    expect(set.code, set.stderr).toBe(0);
    const got = await cli('config', 'get', 'alpha', '--json');
    expect(JSON.parse(got.stdout)).toEqual({ name: 'alpha', config: { level: 1, db: { port: 5432 }, mode: 'fast' } });
    const one = await cli('config', 'get', 'alpha', 'db.port', '--json');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/5432/);
    const missing = await cli('config', 'get', 'ghost');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^sma-bridge: NOT_FOUND/);
  });

  it('shows agent info', async () => {
    const info = await cli('agent', 'info', '--json');
    expect(JSON.parse(info.stdout)).toMatchObject({ agentId: 'cli-gw', registry: 'SMA', services: 2 });
  });
});
