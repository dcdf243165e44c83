// An agent process with one broker user per role (two services, so one can try the other's names), and
// the moves of a hostile client: publish and see whether the broker took it, subscribe and see whether it
// was granted, request and collect whatever lands on the topics it can read.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/security/password-hash.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester, type Reply } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

// Cheap scrypt parameters: the hashes are real, the test need not pay 16 MiB per CONNECT.
const FAST = { N: 1024, r: 8, p: 1 };
export const USERS = {
  op: { role: 'operator', password: 'operator-secret' },
  svc: { role: 'service', password: 'service-secret' },
  'svc-other': { role: 'service', password: 'other-secret' },
  dev1: { role: 'device', password: 'device-one' },
} as const;
export type UserName = keyof typeof USERS;

export interface HostileBench {
  agent: AgentProcess;
  url: string;
  operator: MqttRequester;
  /** Connects as `user` (MQTT 3.1.1); every client is closed by `close`. */
  as(user: UserName): Promise<Client>;
  close(): Promise<void>;
}

export interface Client {
  mqtt: MqttClient;
  /** Everything this client received. */
  received: Array<{ topic: string; payload: Buffer; retain: boolean }>;
  /** Publishes at QoS 1: `accepted` (PUBACK) or `refused` (aedes hangs up on an unauthorised publish). */
  publish(topic: string, payload: string | Buffer, opts?: { retain?: boolean }): Promise<'accepted' | 'refused'>;
  /** Subscribes: `granted` or `refused` (SUBACK 0x80). */
  subscribe(filter: string): Promise<'granted' | 'refused'>;
  /** A request as a 3.1.1 client: body correlation; resolves with the reply on the client's own response topic. */
  request(op: string, body: Record<string, unknown>, user: UserName): Promise<Reply>;
}

export async function hostileBench(config: Record<string, unknown> = {}): Promise<HostileBench> {
  const users = await Promise.all(
    Object.entries(USERS).map(async ([username, u]) => ({ username, role: u.role, passwordHash: await hashPassword(u.password, FAST) })),
  );
  const agent = await startAgent({ agent: { id: 'hostile' }, ...config, mqtt: { broker: { host: '127.0.0.1', port: 0, users } } });
  const url = `mqtt://127.0.0.1:${agent.mqttPort}`;
  const operator = await MqttRequester.connect(url, agent.topicRoot, { username: 'op', password: USERS.op.password });
  const clients: MqttClient[] = [];
  const as = async (user: UserName): Promise<Client> => {
    const c = await mqtt.connectAsync(url, { protocolVersion: 4, username: user, password: USERS[user].password, reconnectPeriod: 0, connectTimeout: 5_000 });
    clients.push(c);
    return wrap(c, agent.topicRoot);
  };
  return {
    agent,
    url,
    operator,
    as,
    async close() {
      for (const c of clients) c.end(true);
      await operator.close();
      await agent.stop();
    },
  };
}

/**
 * The bench of the enclosing `describe`: its agent starts before the first test and stops after the last.
 * `bench` and `R` (the agent's topic root) are there once the first test runs.
 */
export function hostileSuite(config: Record<string, unknown> = {}, setupTimeoutMs?: number): { bench: HostileBench; R: string } {
  const suite = {} as { bench: HostileBench; R: string };
  beforeAll(async () => {
    suite.bench = await hostileBench(config);
    suite.R = suite.bench.agent.topicRoot;
  }, setupTimeoutMs);
  afterAll(async () => suite.bench?.close());
  return suite;
}

function wrap(c: MqttClient, root: string): Client {
  const received: Client['received'] = [];
  c.on('message', (topic, payload, packet) => received.push({ topic, payload, retain: packet.retain }));
  return {
    mqtt: c,
    received,
    async publish(topic, payload, opts = {}) {
      const closed = new Promise<'refused'>((resolve) => c.once('close', () => resolve('refused')));
      const acked = c.publishAsync(topic, payload, { qos: 1, retain: opts.retain ?? false }).then(
        () => 'accepted' as const,
        () => 'refused' as const,
      );
      return Promise.race([acked, closed]);
    },
    async subscribe(filter) {
      return c.subscribeAsync(filter, { qos: 1 }).then(
        (granted) => (granted[0].qos === 128 ? 'refused' : 'granted'),
        () => 'refused',
      );
    },
    async request(op, body, user) {
      const correlationId = (body.correlationId as string | undefined) ?? randomUUID();
      const topic = USERS[user].role === 'operator' ? `${root}/response/${correlationId}` : `${root}/response/${user}/${correlationId}`;
      await c.subscribeAsync(topic, { qos: 1 });
      await c.publishAsync(`${root}/request/${op}`, JSON.stringify({ ...body, correlationId }), { qos: 1 });
      const found = await waitFor(`reply ${correlationId} on ${topic}`, () => received.find((m) => m.topic === topic), 15_000);
      return JSON.parse(found.payload.toString('utf8')) as Reply;
    },
  };
}

/** Waits a little for something that must NOT arrive: long enough for the agent to have acted on the last message. */
export async function settle(operator: MqttRequester): Promise<void> {
  // A round trip through the agent after the hostile message: everything before it has been handled.
  const info = await operator.request('agent.info');
  if (!info.ok) throw new Error(`the agent stopped answering its operator: ${JSON.stringify(info)}`);
}
