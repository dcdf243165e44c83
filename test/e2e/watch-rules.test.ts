// Issue 27 acceptance, CONTRACT section 15, the agent as a real process from its bin with real children whose
// memory grows (firmware-sim/service.js: POST /grow, /shrink, --grow-mb): a rule fires after forMs and a shorter
// spike does not; its restart happens once and the rule resolves; the budget stops the third action (GAVE_UP);
// the history shows the growth; a restarted agent keeps a FIRING rule FIRING without a second event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, ROOT, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
const run = promisify(execFile);
const MB = 1024 * 1024;

interface Alert {
  type: string;
  rule: string;
  name: string;
  value: number;
  threshold: number;
  action?: string;
  at: string;
}

describe('resource watch and rules, end to end', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let leakyPort: number;
  let fatPort: number;
  const dataDir = tempDir();
  const startedAt = Date.now();
  let config: Record<string, unknown>;

  beforeAll(async () => {
    leakyPort = await freePort();
    fatPort = await freePort();
    config = {
      agent: { id: 'watch-gw' },
      executor: 'process',
      watch: { intervalMs: 1000 },
      rules: [
        { name: 'leak', service: 'leaky', metric: 'memoryBytes', above: 150 * MB, clearAt: 120 * MB, forMs: 3000, action: 'restart', maxActions: 2, actionWindowMs: 600_000 },
        { name: 'fat', service: 'fat', metric: 'memoryBytes', above: 150 * MB, forMs: 2000, action: 'alert' },
      ],
    };
    agent = await startAgent(config, { dataDir });
    mqtt = await MqttRequester.forAgent(agent);
    const regs = [
      { name: 'leaky', check: { type: 'http', url: `http://127.0.0.1:${leakyPort}/health` }, start: { command: process.execPath, args: ['--expose-gc', SIM, '--port', String(leakyPort)] } },
      { name: 'fat', check: { type: 'process' }, start: { command: process.execPath, args: [SIM, '--port', String(fatPort), '--grow-mb', '200'] } },
    ];
    for (const r of regs) expect((await mqtt.request('registry.register', r)).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['leaky', 'fat'] })).ok).toBe(true);
    await waitFor('leaky answers', () => fetch(`http://127.0.0.1:${leakyPort}/memory`).then((r) => r.ok, () => false), 20_000);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    killAll(`--port ${leakyPort}`);
    killAll(`--port ${fatPort}`);
  });

  const alerts = (m: MqttRequester, rule: string): Alert[] => m.events(`alert/${rule}/`) as unknown as Alert[];
  const leak = (): Alert[] => alerts(mqtt, 'leak');
  const post = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${leakyPort}${path}`, { method: 'POST' });
  const restarts = async (name: string): Promise<number> => ((await mqtt.request('services.list')).result as Array<{ name: string; restarts: number }>).find((v) => v.name === name)!.restarts;
  const count = (type: string): number => leak().filter((e) => e.type === type).length;

  it('does not fire on a spike shorter than forMs', async () => {
    await post('/grow?mb=150');
    await waitFor('PENDING', () => count('PENDING') === 1, 10_000);
    await post('/shrink');
    await waitFor('RESOLVED', () => count('RESOLVED') === 1, 10_000);
    expect(leak().map((e) => e.type)).toEqual(['PENDING', 'RESOLVED']);
    expect(await restarts('leaky')).toBe(0);
  });

  it('fires after forMs, restarts the service once through the inbox, and resolves', async () => {
    await post('/grow?mb=150');
    await waitFor('ACTION', () => count('ACTION') === 1, 15_000);
    const [pending, firing, action] = leak().slice(2);
    expect([pending.type, firing.type, action.type]).toEqual(['PENDING', 'FIRING', 'ACTION']);
    expect(Date.parse(firing.at) - Date.parse(pending.at)).toBeGreaterThanOrEqual(3000);
    expect(firing).toMatchObject({ rule: 'leak', name: 'leaky', threshold: 150 * MB });
    expect(firing.value).toBeGreaterThan(150 * MB);
    expect(action.action).toBe('restart');
    // The restarted process holds nothing: below clearAt, the rule resolves.
    await waitFor('RESOLVED', () => count('RESOLVED') === 2, 15_000);
    expect(await restarts('leaky')).toBe(1);
    // The service's RESTART counted once, and no second action followed.
    await new Promise((r) => setTimeout(r, 2000));
    expect(count('ACTION')).toBe(1);
    expect(await restarts('leaky')).toBe(1);
  });

  it('shows the growth in the history', async () => {
    const reply = await mqtt.request('services.history', { name: 'leaky', metric: 'memoryBytes', sinceMs: startedAt, stepMs: 1000 });
    expect(reply.ok, JSON.stringify(reply.error)).toBe(true);
    const points = (reply.result as { points: Array<[number, number, number, number]> }).points;
    const maxes = points.map((p) => p[3]);
    expect(Math.max(...maxes)).toBeGreaterThan(150 * MB);
    expect(Math.min(...points.map((p) => p[1]))).toBeLessThan(100 * MB);
    expect(points.map((p) => p[0])).toEqual([...points.map((p) => p[0])].sort((a, b) => a - b));
    const http = await fetch(`http://127.0.0.1:${agent.httpPort}/api/v3/services/leaky/history?metric=memoryBytes&stepMs=60000&sinceMs=${startedAt}`);
    expect(http.status).toBe(200);
    expect(((await http.json()) as { points: unknown[] }).points.length).toBeGreaterThan(0);
  });

  it('stops acting when the budget is spent: the third FIRING gives up', async () => {
    await post('/grow?mb=150');
    await waitFor('second ACTION', () => count('ACTION') === 2, 15_000);
    await waitFor('RESOLVED', () => count('RESOLVED') === 3, 15_000);
    await waitFor('leaky answers', () => fetch(`http://127.0.0.1:${leakyPort}/memory`).then((r) => r.ok, () => false), 20_000);
    await post('/grow?mb=150');
    await waitFor('GAVE_UP', () => count('GAVE_UP') === 1, 15_000);
    expect(leak().slice(-2).map((e) => e.type)).toEqual(['FIRING', 'GAVE_UP']);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await restarts('leaky')).toBe(2);
    const list = (await mqtt.request('alerts.list')).result as Array<{ rule: string; name: string; state: string; actions: number }>;
    expect(list.find((a) => a.rule === 'leak')).toMatchObject({ name: 'leaky', state: 'FIRING', actions: 2 });
    const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
    expect(metrics).toContain('sma_alert_firing{rule="leak",service="leaky"} 1');
  });

  it('answers `sma-bridge alerts list` and `services history` on the command line', async () => {
    const cli = async (...args: string[]): Promise<string> =>
      (await run(process.execPath, [BIN, ...args, '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', 'watch-gw'], { timeout: 20_000 })).stdout;
    expect(await cli('alerts', 'list')).toMatch(/^leak\s+leaky\s+FIRING\s.*\s2$/m);
    const history = (await cli('services', 'history', 'leaky', 'memoryBytes', '--since', '10m', '--step', '1m')).trim().split('\n');
    expect(history[0]).toMatch(/^TIME\s+MIN\s+AVG\s+MAX$/);
    expect(history.length).toBeGreaterThan(1);
    const bad = await run(process.execPath, [BIN, 'services', 'history', 'leaky', 'disk'], { timeout: 20_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/METRIC must be one of cpuPercent, memoryBytes, fds, threads, restarts/);
  });

  it('keeps a FIRING rule FIRING across an agent restart, with no second event', async () => {
    await waitFor('fat FIRING', () => alerts(mqtt, 'fat').some((e) => e.type === 'FIRING'), 15_000);
    const before = ((await mqtt.request('alerts.list')).result as Array<{ rule: string; state: string; since: string }>).find((a) => a.rule === 'fat')!;
    expect(before.state).toBe('FIRING');
    await mqtt.close();
    expect(await agent.stop()).toBe(0);
    agent = await startAgent(config, { dataDir });
    mqtt = await MqttRequester.forAgent(agent);
    const restartedAt = Date.now();
    // Samples of the new run (fat is started again, as big): the rule sees it above, and says nothing.
    await waitFor('new samples', async () => {
      const r = await mqtt.request('services.history', { name: 'fat', metric: 'memoryBytes', sinceMs: restartedAt, stepMs: 1000 });
      return (r.result as { points: Array<[number, number, number, number]> }).points.filter((p) => p[3] > 150 * MB).length >= 4;
    }, 20_000);
    const after = ((await mqtt.request('alerts.list')).result as Array<{ rule: string; state: string; since: string }>).find((a) => a.rule === 'fat')!;
    expect(after).toMatchObject({ state: 'FIRING', since: before.since });
    expect(alerts(mqtt, 'fat')).toEqual([]);
  }, 60_000);
});
