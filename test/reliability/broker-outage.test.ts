// Issue 5 acceptance: Debian's mosquitto is stopped for 5 s and started again while supervised services
// crash. Every event the agent published, before, during and after the outage, reaches a QoS 1 subscriber
// with a persistent session (clean: false, fixed client id). What the agent published is read from its own
// trace log (one line per publish handed to the MQTT client), so the check cannot be satisfied by luck.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
const haveMosquitto = hasPeer('mosquitto', 'mosquitto');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!haveMosquitto)('mosquitto goes away for 5 s while services crash', () => {
  let broker: Mosquitto | undefined;
  let agent: AgentProcess | undefined;
  let subscriber: MqttClient | undefined;
  let requester: MqttRequester | undefined;
  const ports: number[] = [];

  afterAll(async () => {
    await requester?.close().catch(() => undefined);
    subscriber?.end(true);
    await agent?.stop();
    await broker?.stop();
    for (const p of ports) killAll(`--port ${p}`);
  });

  it('delivers every event published before, during and after the outage', { timeout: 90_000 }, async () => {
    broker = await startMosquitto();
    agent = await startAgent({
      agent: { id: 'outage' },
      mqtt: { mode: 'external', url: broker.url, protocolVersion: 5 },
      health: { intervalMs: 250, timeoutMs: 500, retries: 1, restartDelayMs: 100, backoffMaxMs: 400, maxRestarts: 50, restartWindowMs: 60_000 },
      log: { level: 'trace' },
    });
    const root = agent.topicRoot;
    const received: string[] = [];
    subscriber = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'outage-subscriber', clean: false, reconnectPeriod: 250 });
    subscriber.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await subscriber.subscribeAsync(`${root}/event/#`, { qos: 1 });
    requester = await MqttRequester.connect(broker.url, root);

    const names = ['alpha', 'beta'];
    for (const name of names) {
      const port = await freePort();
      ports.push(port);
      const reg = await requester.request('registry.register', {
        name,
        check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
        start: { command: process.execPath, args: [SIM, '--port', String(port), '--name', name] },
      });
      expect(reg.ok, JSON.stringify(reg)).toBe(true);
    }
    expect((await requester.request('services.start', { all: true })).ok).toBe(true);
    const crash = async (i: number): Promise<void> => {
      // One scan of /proc per probe: two could disagree when the child is between lives.
      const pid = await waitFor(`${names[i]} running`, () => pidsWithArg(`--port ${ports[i]}`)[0]);
      process.kill(pid, 'SIGKILL');
    };
    const published = (): Array<{ at: number; line: string }> =>
      agent!
        .logs()
        .filter((l) => l.msg === 'mqtt publish' && String(l.topic).startsWith(`${root}/event/`))
        .map((l) => ({ at: l.time as number, line: `${l.topic} ${l.payload}` }));
    const restartsSeen = () => received.filter((r) => r.includes('"type":"RESTART"')).length;

    // Before: a crash and its restart, seen by the subscriber.
    await crash(0);
    await waitFor('a RESTART event before the outage', () => restartsSeen() >= 1, 20_000);

    // During: the broker is gone for 5 s; both services crash and are restarted meanwhile.
    await requester.close();
    requester = undefined;
    await broker.stop();
    const down = Date.now();
    await sleep(1_000);
    await crash(0);
    await sleep(1_500);
    await crash(1);
    await sleep(Math.max(0, 5_000 - (Date.now() - down)));
    const up = Date.now();
    await broker.restart();

    // After: the agent is back (reconnected with back-off), and one more crash.
    await waitFor('agent reconnected', () => agent!.logs().some((l) => l.msg === 'reconnected to MQTT broker'), 30_000);
    await crash(1);

    const during = () => published().filter((p) => p.at > down && p.at < up);
    await waitFor('events published during the outage', () => during().length >= 2, 10_000);
    await waitFor(
      'every published event at the subscriber',
      () => {
        const all = published();
        return all.length > 0 && all.every((p) => received.includes(p.line)) && all.some((p) => p.at > up + 100);
      },
      30_000,
      200,
    ).catch((err) => {
      const missing = published().filter((p) => !received.includes(p.line));
      throw new Error(`${String(err)}\nmissing ${missing.length}: ${missing.map((m) => m.line).join('\n')}`);
    });
    const all = published();
    const before = all.filter((p) => p.at <= down).length;
    console.log(`broker outage: ${all.length} events published (${before} before, ${during().length} during, ${all.length - before - during().length} after), ${received.length} received`);
    expect(during().some((p) => p.line.includes('"type":"RESTART"'))).toBe(true);
    expect(agent.child.exitCode).toBeNull();
    // Whatever the broker did with the agent's will meanwhile, the retained status says ONLINE again.
    const late = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    try {
      const status = new Promise<string>((resolve) => late.on('message', (_t, p) => resolve(JSON.parse(p.toString()).state)));
      await late.subscribeAsync(`${root}/status`, { qos: 1 });
      expect(await status).toBe('ONLINE');
    } finally {
      await late.endAsync();
    }
  });
});
