// Issue 5 acceptance: property-based fuzzing of MQTT topics and payloads. 100 000 cases go in-process through
// the embedded broker (aedes) into the real MQTT front, request handler, inbox, journal (LevelDB), registry
// and trust tracker; after every case a valid request must be answered, and the heap must stay flat. A smaller
// sample goes over a real socket to the agent as a process, with raw garbage on fresh connections too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import { FakeClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { Inbox } from '../../src/inbox/inbox.js';
import { Journal } from '../../src/inbox/journal.js';
import { EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { MqttFront } from '../../src/mqtt/mqtt-front.js';
import type { MqttTransport } from '../../src/mqtt/transport.js';
import { operationNames } from '../../src/operations/schemas.js';
import { EmbeddedRegistry } from '../../src/registry/embedded-registry.js';
import { LevelStore } from '../../src/store/level-store.js';
import { TrustTracker } from '../../src/trust/trust-tracker.js';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { storePorts } from '../support/store-ports.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { alwaysRunning } from '../support/always-running.js';
import { OPERATOR, testPolicy } from '../support/principals.js';
import { BrokerAccess } from '../../src/mqtt/broker-access.js';

const CASES = Number(process.env.SMA_FUZZ_CASES ?? 100_000);
const SOCKET_CASES = Number(process.env.SMA_FUZZ_SOCKET_CASES ?? 2_000);
const GARBAGE_CONNECTIONS = 200;
const ROOT = 'sma/fuzz';
const log = pino({ level: 'silent' });

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

// Identifiers come from small pools: a heartbeat from a new id is a new device by design, which is growth the
// contract asks for, not a leak. Everything else is arbitrary.
const ids = fc.constantFrom('d1', 'd2', 'd3', 'svc-a', 'plug', 'x.y', 'a-b_c');
const level = fc.string({ maxLength: 24 }).filter((s) => !/[+#/\u0000]/.test(s));
const topic = fc.oneof(
  fc.tuple(fc.oneof(fc.constantFrom(...operationNames), level)).map(([op]) => `${ROOT}/request/${op}`),
  ids.map((id) => `${ROOT}/heartbeat/device/${id}`),
  ids.map((id) => `${ROOT}/heartbeat/service/${id}`),
  fc.tuple(ids, fc.constantFrom('devices', 'trust', 'reregister', 'x')).map(([p, k]) => `${ROOT}/plugin/${p}/${k}`),
  fc.array(level, { minLength: 1, maxLength: 5 }).map((parts) => `${ROOT}/${parts.join('/')}`),
  fc.array(level, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')).filter((t) => t.length > 0),
);
const big = Buffer.alloc(70 * 1024, 0x7b);
const requestish = fc.record(
  {
    correlationId: fc.oneof(fc.string({ maxLength: 40 }), fc.integer()),
    replyTo: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(`${ROOT}/response/x`)),
    names: fc.oneof(fc.array(ids, { maxLength: 4 }), fc.anything()),
    name: fc.oneof(ids, fc.string({ maxLength: 70 }), fc.anything()),
    all: fc.oneof(fc.boolean(), fc.anything()),
    config: fc.oneof(fc.object({ maxDepth: 2 }), fc.anything()),
    check: fc.oneof(fc.constant({ type: 'none' }), fc.record({ type: fc.string(), url: fc.string() })),
    devices: fc.array(fc.record({ id: ids, properties: fc.anything() }), { maxLength: 3 }),
    level: fc.constantFrom('NONE', 'COMPLETE', 'x'),
  },
  { requiredKeys: [] },
);
const payload = fc.oneof(
  { weight: 3, arbitrary: requestish.map((o) => Buffer.from(JSON.stringify(o))) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.array(fc.record({ deviceId: ids, trustLevel: fc.constantFrom('NONE', 'COMPLETE', 'MAYBE') })).map((o) => Buffer.from(JSON.stringify(o))) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 1, arbitrary: fc.constant(big) },
);

const control = alwaysRunning;

describe('MQTT fuzzing in-process (embedded broker -> front -> inbox -> journal)', () => {
  let store: LevelStore;
  let broker: EmbeddedBroker;
  let front: MqttFront;
  let trust: TrustTracker;
  let probe: MqttTransport;
  const waiting = new Map<string, (body: Record<string, unknown>) => void>();

  beforeAll(async () => {
    store = await LevelStore.open(tempDir('sma-fuzz-'));
    const clock = new FakeClock();
    const events = new EventBus();
    const registry = await EmbeddedRegistry.open(store);
    trust = new TrustTracker({ store, events, clock, config: { heartbeatTimeoutMs: 600_000, pluginCheckIntervalMs: 30_000 }, log, plugins: () => [], options: { maxDevices: 1_000 } });
    await trust.start();
    const ports = storePorts({ store, registry, services: control, trust, events, clock, agentId: 'fuzz' });
    const journal = new Journal(store);
    await journal.open();
    const inbox = new Inbox(ports, journal, { timeoutMs: 5_000, policy: testPolicy() }, log);
    broker = await EmbeddedBroker.start({ host: '127.0.0.1', port: 0, log, access: new BrokerAccess([], ROOT, async () => false) });
    // The fuzz publishes in-process (no client, so no principal): they are stamped an operator's here, so
    // the cases reach the request handler as a local operator's would instead of being ignored as nobody's.
    const inner = broker.transport();
    const asOperator: MqttTransport = { ...inner, subscribe: (f, h) => inner.subscribe(f, (m) => h({ ...m, principal: m.principal ?? OPERATOR })) };
    front = new MqttFront({ transport: asOperator, topicRoot: ROOT, intake: inbox, policy: testPolicy(), events, serviceBeat: () => {}, trust, formatTrustEvent: (e) => e, now: () => clock.now(), version: '0', log });
    await front.start();
    probe = broker.transport();
    await probe.subscribe([`${ROOT}/response/#`], async (m) => {
      const cid = m.topic.slice(`${ROOT}/response/`.length);
      const resolve = waiting.get(cid);
      if (!resolve) return;
      try {
        resolve(JSON.parse(m.payload.toString()) as Record<string, unknown>);
      } catch {
        /* a fuzz case published on a response topic: not our answer */
      }
    });
  });

  afterAll(async () => {
    await front?.stop();
    await trust?.close();
    await broker?.close();
    await store?.close();
  });

  let seq = 0;
  /** A valid request; resolves with its answer, or fails the case after 5 s. */
  const answered = async (): Promise<void> => {
    const cid = `valid-${++seq}`;
    const reply = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${cid}`)), 5_000);
      waiting.set(cid, (body) => {
        clearTimeout(timer);
        resolve(body);
      });
    });
    await probe.publish(`${ROOT}/request/agent.info`, JSON.stringify({ correlationId: cid }), { qos: 1 });
    const body = await reply;
    waiting.delete(cid);
    if (body.ok !== true || (body.result as { agentId?: string }).agentId !== 'fuzz') throw new Error(`bad answer to ${cid}: ${JSON.stringify(body)}`);
  };

  const property = fc.asyncProperty(topic, payload, fc.constantFrom<0 | 1>(0, 1), async (t, p, qos) => {
    await probe.publish(t, p, { qos });
    await answered();
  });

  it(`answers a valid request after each of ${CASES} fuzzed messages, with a flat heap`, { timeout: 180_000 }, async () => {
    const warmUp = Math.min(5_000, Math.floor(CASES / 10));
    await fc.assert(property, { numRuns: warmUp });
    const before = heapMiB();
    const started = Date.now();
    await fc.assert(property, { numRuns: CASES - warmUp });
    const after = heapMiB();
    console.log(`mqtt fuzz in-process: ${CASES} cases in ${Date.now() - started} ms; heap after GC ${before.toFixed(1)} MiB -> ${after.toFixed(1)} MiB`);
    expect(after - before).toBeLessThan(16);
  });
});

describe('MQTT fuzzing over a real socket (agent process)', () => {
  let agent: AgentProcess;
  let client: MqttRequester;
  const rss = () => {
    const status = readFileSync(`/proc/${agent.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  };

  beforeAll(async () => {
    agent = await startAgent({ agent: { id: 'fuzz' } });
    client = await MqttRequester.forAgent(agent);
  });
  afterAll(async () => {
    await client?.close();
    await agent?.stop();
  });

  it(`survives ${SOCKET_CASES} fuzzed publishes and raw garbage connections, answering after each batch`, { timeout: 120_000 }, async () => {
    const root = agent.topicRoot;
    const onSocket = topic.map((t) => t.replace(ROOT, root)).filter((t) => t.length > 0 && Buffer.byteLength(t) < 60_000);
    const rssBefore = rss();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(onSocket, payload, async (t, p) => {
        await client.publishRaw(t, p);
        if (++n % 20 === 0) expect((await client.request('agent.info', {}, 10_000)).ok).toBe(true);
      }),
      { numRuns: SOCKET_CASES },
    );
    // Garbage bytes on fresh TCP connections, before and after a valid CONNECT.
    const connectPacket = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'garbage', keepalive: 10 });
    const garbage = fc.sample(fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 2_000 })), GARBAGE_CONNECTIONS);
    const send = ([afterConnect, bytes]: [boolean, Uint8Array]) =>
      new Promise<void>((resolve) => {
        const s = tcpConnect(agent.mqttPort, '127.0.0.1', () => {
          if (afterConnect) s.write(connectPacket);
          // The broker may wait for the rest of a "packet" that never comes: hang up after a moment.
          s.write(Buffer.from(bytes), () => setTimeout(() => s.destroy(), 100));
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    for (let i = 0; i < garbage.length; i += 20) await Promise.all(garbage.slice(i, i + 20).map(send));
    expect((await client.request('agent.info')).ok).toBe(true);
    expect(agent.child.exitCode).toBeNull();
    console.log(`mqtt fuzz over a socket: ${SOCKET_CASES} publishes + ${GARBAGE_CONNECTIONS} garbage connections; agent RSS ${rssBefore.toFixed(0)} MiB -> ${rss().toFixed(0)} MiB`);
  });
});
