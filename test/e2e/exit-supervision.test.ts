// Issue 14 acceptance, the agent as a real process with real children: a kill -9 of a spawned service is DOWN
// at once and restarted after restartDelayMs, although checks run only every 10 s (the default); BACKOFF with
// its next attempt, the exit, and the policy reach services.list, MQTT events and /metrics; ADDRESS comes from
// the check URL; a clean exit under on-failure is not restarted; an intended stop logs no WARN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startAgent, ROOT, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');

interface View {
  name: string;
  status: string;
  health: string;
  host?: string;
  port?: number;
  restartPolicy?: string;
  nextAttemptAt?: string;
  exitCode?: number;
  exitSignal?: string;
  lastExitAt?: string;
}

describe('a spawned service\'s exit is a health verdict', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let webPort: number;

  beforeAll(async () => {
    webPort = await freePort();
    // Checks every 10 s, 3 retries (the defaults): waiting for missed checks would take 20 s or more.
    agent = await startAgent({ executor: 'process', health: { restartDelayMs: 1500 } });
    mqtt = await MqttRequester.forAgent(agent);
    const regs = [
      { name: 'web', check: { type: 'http', url: `http://127.0.0.1:${webPort}/health` }, start: { command: process.execPath, args: [SIM, '--port', String(webPort)] } },
      { name: 'oneshot', restartPolicy: 'on-failure', check: { type: 'process' }, start: { command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(0), 300)'] } },
    ];
    for (const r of regs) expect((await mqtt.request('registry.register', r)).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['web'] })).ok).toBe(true);
    await waitFor('web UP', async () => (await view('web'))?.health === 'UP', 20_000);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    killAll(`--port ${webPort}`);
  });

  const view = async (name: string): Promise<View | undefined> => {
    const reply = await mqtt.request('services.list');
    return (reply.result as View[]).find((v) => v.name === name);
  };

  it('shows the address of the check URL and the policy in force', async () => {
    expect(await view('web')).toMatchObject({ host: '127.0.0.1', port: webPort, restartPolicy: 'on-unhealthy' });
    expect(await view('oneshot')).toMatchObject({ restartPolicy: 'on-failure' });
  });

  it('kill -9: DOWN and BACKOFF at once, EXIT and STATUS events, restarted after restartDelayMs', async () => {
    const [pid] = pidsWithArg(`--port ${webPort}`);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const down = await waitFor('HEALTH DOWN', () => mqtt.events('service/web').find((e) => e.type === 'HEALTH' && e.to === 'DOWN'), 5_000);
    expect(Date.parse(String(down.at)) - killedAt).toBeLessThan(5_000); // well before a single check interval
    expect(mqtt.events('service/web').find((e) => e.type === 'EXIT')).toMatchObject({ exitSignal: 'SIGKILL' });
    const backoff = mqtt.events('service/web').find((e) => e.type === 'STATUS' && e.to === 'BACKOFF')!;
    // The attempt is due restartDelayMs after the exit was seen (the event's own time comes a moment later).
    const wait = Date.parse(String(backoff.nextAttemptAt)) - Date.parse(String(backoff.at));
    expect(wait).toBeGreaterThan(1400);
    expect(wait).toBeLessThanOrEqual(1500);
    const listed = await view('web');
    if (listed?.status === 'BACKOFF') expect(listed.nextAttemptAt).toBe(backoff.nextAttemptAt);
    expect(listed).toMatchObject({ exitSignal: 'SIGKILL' });
    expect(listed?.lastExitAt).toBeDefined();

    const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^sma_service_last_exit_timestamp_seconds\{service="web"\} \d+(\.\d+)?$/m);

    const restart = await waitFor('RESTART', () => mqtt.events('service/web').find((e) => e.type === 'RESTART'), 10_000);
    expect(Date.parse(String(restart.at))).toBeGreaterThanOrEqual(Date.parse(String(backoff.nextAttemptAt)));
    await waitFor('a new web process', () => pidsWithArg(`--port ${webPort}`).some((p) => p !== pid), 10_000);
  });

  it('a clean exit under on-failure is not restarted; the exit code is kept', async () => {
    expect((await mqtt.request('services.start', { names: ['oneshot'] })).ok).toBe(true);
    const exit = await waitFor('EXIT', () => mqtt.events('service/oneshot').find((e) => e.type === 'EXIT'), 10_000);
    expect(exit.exitCode).toBe(0);
    await new Promise((r) => setTimeout(r, 2_500)); // longer than restartDelayMs
    expect(mqtt.events('service/oneshot').filter((e) => e.type === 'RESTART')).toEqual([]);
    expect(await view('oneshot')).toMatchObject({ status: 'STOPPED', health: 'DOWN', exitCode: 0 });
  });

  it('an operator stop logs no WARN "service is down" and stopping it again sends no event', async () => {
    expect((await mqtt.request('services.stop', { names: ['web'] })).ok).toBe(true);
    const eventsAfterStop = mqtt.events('service/web').length;
    const again = await mqtt.request('services.stop', { names: ['web'] });
    expect((again.result as Array<{ result: string; status: string }>)[0]).toMatchObject({ result: 'OK', status: 'STOPPED' });
    await new Promise((r) => setTimeout(r, 500));
    expect(mqtt.events('service/web').length).toBe(eventsAfterStop);
    const warned = agent.logs().filter((l) => l.service === 'web' && l.msg === 'service is down');
    expect(warned).toHaveLength(1); // the kill -9 above; none for the stop
  });

  it('keeps the last exit across an agent restart', async () => {
    const before = await view('oneshot');
    expect(before).toMatchObject({ exitCode: 0 });
    await mqtt.close();
    expect(await agent.stop()).toBe(0);
    agent = await startAgent({ executor: 'process', health: { restartDelayMs: 1500 } }, { dataDir: agent.dataDir });
    mqtt = await MqttRequester.forAgent(agent);
    const after = await view('oneshot');
    expect(after).toMatchObject({ exitCode: 0, lastExitAt: before!.lastExitAt });
    expect((await view('web'))?.lastExitAt).toBeDefined();
  });
});
