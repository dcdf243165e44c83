// Issue 10, attack class 2: a request whose reply topic (body `replyTo`, or the MQTT 5 response topic) aims
// into the agent's own tree: a device's heartbeat (a ghost turns COMPLETE), the status, an event, a request
// topic (the agent reads its own reply as a new request), or a wildcard; or, on the embedded broker, a topic
// the requester may not read. Against the agent process, on the embedded broker and through mosquitto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { hasPeer } from '../support/peers.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttRequester, type Reply } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';
import { hostileSuite, settle } from './hostile-clients.js';

const run = promisify(execFile);
const haveMosquitto = hasPeer('mosquitto', 'mosquitto') && hasPeer('mosquitto_rr', 'mosquitto-clients');

const trustIds = async (operator: MqttRequester): Promise<string[]> =>
  ((await operator.request('trust.get')).result as Array<{ id: string }>).map((d) => d.id);

describe('replies go only where the requester may read (embedded broker)', () => {
  const s = hostileSuite();

  it('never publishes a reply on a device heartbeat topic: the ghost device stays unknown', async () => {
    const { bench, R } = s;
    const reply = await bench.operator.request('agent.info', { replyTo: `${R}/heartbeat/device/ghost` });
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await settle(bench.operator);
    expect(await trustIds(bench.operator)).not.toContain('ghost');
    expect(bench.operator.messages.some((m) => m.topic === `${R}/heartbeat/device/ghost`)).toBe(false);
  });

  it('never on the status, an event or a request topic (another topic each), and runs no reflected request', async () => {
    const { bench, R } = s;
    for (const target of [`${R}/status`, `${R}/event/service/x`, `${R}/request/registry.register`, `${R}/response/svc/stolen`]) {
      const body = { name: 'reflected', check: { type: 'none' }, replyTo: target };
      const reply = await bench.operator.request('registry.register', body);
      expect(reply, target).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      // The agent's own status and events still arrive there; what must not is a reply (it has a correlationId).
      expect(bench.operator.messages.some((m) => m.topic === target && m.payload.toString().includes('"correlationId"')), target).toBe(false);
    }
    await settle(bench.operator);
    const names = ((await bench.operator.request('services.list')).result as Array<{ name: string }>).map((v) => v.name);
    expect(names).not.toContain('reflected');
  });

  it('never to a topic the requesting service may not subscribe (another name, outside the tree)', async () => {
    const { bench, R } = s;
    const spy = await bench.as('op');
    await spy.subscribe('#');
    const svc = await bench.as('svc');
    for (const target of [`${R}/response/svc-other/x`, 'elsewhere/inbox']) {
      const reply = await svc.request('registry.register', { name: 'svc', check: { type: 'none' }, replyTo: target }, 'svc');
      expect(reply, target).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    await settle(bench.operator);
    expect(spy.received.filter((m) => m.topic === `${R}/response/svc-other/x` || m.topic === 'elsewhere/inbox')).toEqual([]);
    // Its own response topic is fine.
    const mine = `${R}/response/svc/mine`;
    await svc.subscribe(mine);
    await svc.publish(`${R}/request/registry.register`, JSON.stringify({ name: 'svc', check: { type: 'none' }, correlationId: 'own-1', replyTo: mine }));
    const got = await waitFor('reply on its own topic', () => svc.received.find((m) => m.topic === mine));
    expect(JSON.parse(got.payload.toString())).toMatchObject({ correlationId: 'own-1', ok: true });
  });

  it('never to a wildcard topic', async () => {
    const { bench, R } = s;
    for (const target of [`${R}/response/+`, '#', 'client/#']) {
      const reply = await bench.operator.request('agent.info', { replyTo: target });
      expect(reply, target).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
  });
});

describe.skipIf(!haveMosquitto)('replies go only where the requester may read (MQTT 5 through mosquitto)', () => {
  let broker: Mosquitto;
  let agent: AgentProcess;
  let operator: MqttRequester;
  beforeAll(async () => {
    broker = await startMosquitto();
    agent = await startAgent({ agent: { id: 'hostile5' }, log: { level: process.env.DEBUG_SEC ? 'trace' : 'info' }, mqtt: { mode: 'external', url: broker.url, protocolVersion: 5 } });
    operator = await MqttRequester.connect(broker.url, agent.topicRoot);
  });
  afterAll(async () => {
    if (process.env.DEBUG_SEC) console.log(agent?.logs().map((l) => JSON.stringify(l)).join('\n'));
    await operator?.close();
    await agent?.stop();
    await broker?.stop();
  });

  /** An MQTT 5 request with its response topic property; the FORBIDDEN answer comes at R/response/{id}. */
  const v5Request = async (op: string, responseTopic: string, id: string): Promise<Reply> => {
    const { stdout } = await run('mosquitto_pub', [
      '-V', '5', '-h', '127.0.0.1', '-p', String(broker.port), '-q', '1',
      '-t', `${agent.topicRoot}/request/${op}`, '-D', 'publish', 'response-topic', responseTopic,
      '-D', 'publish', 'correlation-data', id, '-m', '{}',
    ]);
    expect(stdout).toBe('');
    return operator.reply(id);
  };

  it('refuses a response topic on a ghost device’s heartbeat: the ghost stays unknown', async () => {
    const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    const seen: string[] = [];
    watcher.on('message', (t) => seen.push(t));
    await watcher.subscribeAsync(`${agent.topicRoot}/heartbeat/#`, { qos: 1 });
    try {
      const reply = await v5Request('agent.info', `${agent.topicRoot}/heartbeat/device/ghost`, 'ghost-1');
      expect(reply).toMatchObject({ correlationId: 'ghost-1', ok: false, error: { code: 'FORBIDDEN' } });
      expect(await trustIds(operator)).not.toContain('ghost');
      expect(seen).toEqual([]);
    } finally {
      await watcher.endAsync();
    }
  });

  it('refuses a response topic on a request topic (another topic): no reflected request runs', async () => {
    const reply = await v5Request('services.list', `${agent.topicRoot}/request/agent.info`, 'loop-1');
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // A reply a client may read outside the tree is still honoured (mosquitto_rr waits on it).
    const { stdout } = await run('mosquitto_rr', [
      '-V', '5', '-h', '127.0.0.1', '-p', String(broker.port), '-q', '1',
      '-t', `${agent.topicRoot}/request/agent.info`, '-e', 'client/rr/ok', '-m', '{}', '-W', '15',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, result: { agentId: 'hostile5' } });
  });
});
