// Issue 2 acceptance: every operation through Debian's mosquitto as an MQTT 5 client (mosquitto_rr) and as
// an MQTT 3.1.1 client, and through the embedded broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { agentSuite } from '../support/agent-suite.js';
import { hasPeer } from '../support/peers.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttRequester, type Reply } from '../support/mqtt-requester.js';

const run = promisify(execFile);
const haveMosquitto = hasPeer('mosquitto', 'mosquitto') && hasPeer('mosquitto_rr', 'mosquitto-clients');

const sleeper = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };

/** Every operation of CONTRACT section 4, in an order that makes each one meaningful. */
function script(name: string): Array<[string, Record<string, unknown>, (r: Reply) => void]> {
  return [
    ['registry.register', { name, check: { type: 'process' }, start: sleeper, config: { a: 1 } }, (r) => expect(r.result).toMatchObject({ name })],
    ['services.start', { names: [name] }, (r) => expect((r.result as Array<{ result: string }>)[0].result).toBe('OK')],
    ['services.list', {}, (r) => expect((r.result as Array<{ name: string }>).map((v) => v.name)).toContain(name)],
    ['services.health', { names: [name] }, (r) => expect((r.result as Array<{ name: string }>)[0].name).toBe(name)],
    ['services.metrics', { names: [name] }, (r) => expect((r.result as Array<{ name: string; memoryBytes: number }>)[0].memoryBytes).toBeGreaterThan(0)],
    ['config.set', { name, config: { b: 2 } }, (r) => expect((r.result as { config: unknown }).config).toEqual({ a: 1, b: 2 })],
    ['config.get', { name, keys: ['b'] }, (r) => expect(r.result).toEqual({ name, config: { b: 2 } })],
    ['services.restart', { names: [name] }, (r) => expect((r.result as Array<{ result: string }>)[0].result).toBe('OK')],
    ['services.stop', { names: [name] }, (r) => expect((r.result as Array<{ status: string }>)[0].status).toBe('STOPPED')],
    ['trust.get', {}, (r) => expect(Array.isArray(r.result)).toBe(true)],
    ['agent.info', {}, (r) => expect(r.result).toMatchObject({ registry: 'SMA' })],
    ['registry.deregister', { name }, (r) => expect(r.result).toEqual({ name })],
  ];
}

async function driveAll(request: (op: string, body: Record<string, unknown>) => Promise<Reply>, name: string): Promise<void> {
  for (const [op, body, check] of script(name)) {
    const reply = await request(op, body);
    expect(reply.ok, `${op}: ${JSON.stringify(reply)}`).toBe(true);
    check(reply);
  }
}

describe('every operation through the embedded broker (MQTT 3.1.1)', () => {
  const s = agentSuite();

  it('answers each operation', async () => {
    const { mqtt } = s;
    await driveAll((op, body) => mqtt.request(op, body), 'embedded-svc');
  });
});

describe.skipIf(!haveMosquitto)('every operation through mosquitto', () => {
  let broker: Mosquitto;
  let agent: AgentProcess;
  beforeAll(async () => {
    broker = await startMosquitto();
    agent = await startAgent({ mqtt: { mode: 'external', url: broker.url, protocolVersion: 5 } });
  });
  afterAll(async () => {
    await agent?.stop();
    await broker?.stop();
  });

  it('as an MQTT 5 client: mosquitto_rr with response topic and correlation data', async () => {
    let n = 0;
    await driveAll(async (op, body) => {
      const { stdout } = await run('mosquitto_rr', [
        '-V', '5', '-h', '127.0.0.1', '-p', String(broker.port), '-q', '1',
        '-t', `${agent.topicRoot}/request/${op}`, '-e', `client/rr/${++n}`,
        '-D', 'publish', 'correlation-data', `rr-${n}`,
        '-m', JSON.stringify(body), '-W', '15',
      ]);
      const reply = JSON.parse(stdout) as Reply;
      expect(reply.correlationId).toBe(`rr-${n}`);
      return reply;
    }, 'v5-svc');
  });

  it('as an MQTT 3.1.1 client with the correlation in the body', async () => {
    const mqtt = await MqttRequester.connect(broker.url, agent.topicRoot);
    try {
      await driveAll((op, body) => mqtt.request(op, body), 'v311-svc');
      const status = mqtt.messages.find((m) => m.topic === `${agent.topicRoot}/status`);
      expect(JSON.parse(status!.payload.toString())).toMatchObject({ state: 'ONLINE' });
    } finally {
      await mqtt.close();
    }
  });

  it('answers a CBOR request in CBOR (MQTT 5 content type)', async () => {
    const { encode, decode } = await import('cbor-x');
    const mqtt = await import('mqtt');
    const client = await mqtt.default.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      await client.subscribeAsync('client/cbor/reply', { qos: 1 });
      const got = new Promise<{ payload: Buffer; contentType?: string }>((resolve) =>
        client.on('message', (_t, payload, packet) => resolve({ payload, contentType: packet.properties?.contentType })),
      );
      await client.publishAsync(`${agent.topicRoot}/request/agent.info`, Buffer.from(encode({})), {
        qos: 1,
        properties: { contentType: 'application/cbor', responseTopic: 'client/cbor/reply', correlationData: Buffer.from('c1') },
      });
      const reply = await got;
      expect(reply.contentType).toBe('application/cbor');
      expect(decode(reply.payload)).toMatchObject({ correlationId: 'c1', ok: true, result: { agentId: agent.agentId } });
    } finally {
      await client.endAsync();
    }
  });

  it('answers a protobuf request in protobuf (proto/sma.proto)', async () => {
    const { decodeReply, toStruct } = await import('../../src/mqtt/protobuf-codec.js');
    const protobuf = (await import('protobufjs')).default;
    const { join } = await import('node:path');
    const { ROOT } = await import('../support/agent-process.js');
    const Request = protobuf.loadSync(join(ROOT, 'proto/sma.proto')).lookupType('sma.v1.Request');
    const mqtt = await import('mqtt');
    const client = await mqtt.default.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      await client.subscribeAsync('client/pb/reply', { qos: 1 });
      const got = new Promise<{ payload: Buffer; contentType?: string }>((resolve) =>
        client.on('message', (_t, payload, packet) => resolve({ payload, contentType: packet.properties?.contentType })),
      );
      const body = Request.encode(Request.fromObject({ correlationId: 'pb-1', body: toStruct({ includeDeregistered: true }) })).finish();
      await client.publishAsync(`${agent.topicRoot}/request/services.list`, Buffer.from(body), {
        qos: 1,
        properties: { contentType: 'application/x-protobuf', responseTopic: 'client/pb/reply' },
      });
      const reply = await got;
      expect(reply.contentType).toBe('application/x-protobuf');
      const decoded = decodeReply(reply.payload);
      expect(decoded).toMatchObject({ correlationId: 'pb-1', ok: true });
      expect((decoded.result as Array<{ name: string }>).map((v) => v.name)).toEqual(expect.arrayContaining(['v5-svc', 'v311-svc']));
    } finally {
      await client.endAsync();
    }
  });

  it('publishes OFFLINE (retained) when it stops', async () => {
    const mqtt = await MqttRequester.connect(broker.url, agent.topicRoot);
    try {
      await agent.stop();
      const { waitFor } = await import('../support/wait-for.js');
      await waitFor('OFFLINE', () =>
        mqtt.messages.filter((m) => m.topic === `${agent.topicRoot}/status`).some((m) => JSON.parse(m.payload.toString()).state === 'OFFLINE'),
      );
    } finally {
      await mqtt.close();
    }
  });
});
