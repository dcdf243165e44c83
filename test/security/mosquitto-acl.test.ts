// Issue 10 on an external broker: the agent sees no usernames there, so the README's mosquitto ACL is the
// trust boundary. Debian's mosquitto runs with exactly the README's ACL block (read from README.md, so the
// documented file is the one under test) and a password file; each role then attacks as a client would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';
import { operationNames } from '../../src/operations/schemas.js';

const PASSWORDS = { 'sma-agent': 'agent-secret', op: 'operator-secret', svc: 'service-secret', 'svc-other': 'other-secret', dev1: 'device-one' } as const;
type User = keyof typeof PASSWORDS;

/** The first code block after "**External brokers.**" in the README: the ACL file we tell operators to use. */
export function readmeMosquittoAcl(readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')): string {
  const from = readme.indexOf('**External brokers.**');
  const block = /```\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !block) throw new Error('README.md has no mosquitto ACL block under "External brokers."');
  return block[1];
}

const HAS_MOSQUITTO = hasPeer('mosquitto', 'mosquitto') && hasPeer('mosquitto_passwd', 'mosquitto');

describe.skipIf(!HAS_MOSQUITTO)('the README mosquitto ACL against each role (external broker)', () => {
  let broker: Mosquitto;
  let agent: AgentProcess;
  let operator: MqttRequester;
  let R: string;
  const clients: MqttClient[] = [];
  const heard = new Map<User, Array<{ topic: string; payload: string }>>();

  /** A 3.1.1 client as `user` that subscribed `sma/#` (whatever the broker lets it read) and records it all. */
  async function as(user: User): Promise<MqttClient> {
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 4, username: user, password: PASSWORDS[user], reconnectPeriod: 0, connectTimeout: 5_000 });
    clients.push(c);
    const log = heard.get(user) ?? [];
    heard.set(user, log);
    c.on('message', (topic, payload) => log.push({ topic, payload: payload.toString('utf8') }));
    await c.subscribeAsync(['sma/#', `${R}/response/#`, '#'], { qos: 1 });
    return c;
  }

  /** A round trip through the agent after a hostile message: everything before it has been handled. */
  const settle = async (): Promise<void> => {
    expect((await operator.request('agent.info')).ok).toBe(true);
  };
  const health = async (name: string): Promise<string | undefined> =>
    ((await operator.request('services.health', { names: [name] })).result as Array<{ health: string }>)[0]?.health;

  beforeAll(async () => {
    const dir = tempDir('sma-mosq-acl-');
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    for (const [user, password] of Object.entries(PASSWORDS)) execFileSync('mosquitto_passwd', ['-b', passwd, user, password]);
    const acl = join(dir, 'acl');
    writeFileSync(acl, readmeMosquittoAcl());
    // mosquitto started as root (CI) drops to its own user before it reads these files.
    for (const [path, mode] of [[dir, 0o755], [passwd, 0o644], [acl, 0o644]] as const) chmodSync(path, mode);
    broker = await startMosquitto(`password_file ${passwd}\nacl_file ${acl}\n`, { anonymous: false });
    agent = await startAgent({
      agent: { id: 'acl-gw' },
      health: { intervalMs: 200, timeoutMs: 60_000, retries: 1, restartDelayMs: 100 },
      mqtt: { mode: 'external', url: broker.url, username: 'sma-agent', password: PASSWORDS['sma-agent'], protocolVersion: 5 },
    });
    R = agent.topicRoot;
    operator = await MqttRequester.connect(broker.url, R, { username: 'op', password: PASSWORDS.op });
    // svc-other is a trust plugin: its device set is worth stealing.
    for (const name of ['svc', 'svc-other']) expect((await operator.request('registry.register', { name, plugin: name === 'svc-other', check: { type: 'heartbeat' } })).ok).toBe(true);
  }, 30_000);

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await operator?.close();
    await agent?.stop();
    await broker?.stop();
  });

  it('lets no one in without a password (the setup under test is the locked one)', async () => {
    await expect(mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3_000 })).rejects.toThrow();
  });

  it('runs no request from a service or a device: no registration, no start command, no answer', async () => {
    const marker = join(agent.dataDir, 'pwned-through-mosquitto');
    const start = { command: '/bin/sh', args: ['-c', `id > ${marker}`] };
    for (const user of ['svc', 'dev1'] as const) {
      const c = await as(user);
      await c.publishAsync(`${R}/request/registry.register`, JSON.stringify({ name: `evil-${user}`, check: { type: 'process' }, start, correlationId: `evil-${user}` }), { qos: 1 });
      await c.publishAsync(`${R}/request/services.start`, JSON.stringify({ names: [`evil-${user}`], correlationId: `start-${user}` }), { qos: 1 });
      await c.publishAsync(`${R}/request/services.stop`, JSON.stringify({ names: ['svc-other'], correlationId: `stop-${user}` }), { qos: 1 });
    }
    await settle();
    const names = ((await operator.request('services.list', { includeDeregistered: true })).result as Array<{ name: string }>).map((v) => v.name);
    expect(names.sort()).toEqual(['svc', 'svc-other']);
    expect(existsSync(marker)).toBe(false);
    for (const user of ['svc', 'dev1'] as const) expect(heard.get(user)!.filter((m) => m.topic.includes('/response/'))).toEqual([]);
  });

  it('lets no service or device reach the agent with any operation of the request table (enumerated): the agent answers none of them', async () => {
    // An operator listening on every answer: whatever reaches the agent is answered (INVALID_REQUEST at least).
    const listener = await as('op');
    const ids = new Set<string>();
    for (const user of ['svc', 'dev1'] as const) {
      const c = await as(user);
      for (const op of operationNames) {
        const correlationId = `enum-${user}-${op}`;
        ids.add(correlationId);
        await c.publishAsync(`${R}/request/${op}`, JSON.stringify({ name: 'svc-other', names: ['svc-other'], correlationId }), { qos: 1 });
      }
    }
    await settle();
    expect(listener.connected).toBe(true);
    expect(heard.get('op')!.filter((m) => m.topic.startsWith(`${R}/response/`) && [...ids].some((id) => m.topic.endsWith(`/${id}`)))).toEqual([]);
  });

  it("lets no service or device read an operator's answers, events or status, even with wildcards", async () => {
    const spies = [await as('svc-other'), await as('dev1')];
    expect(spies).toHaveLength(2);
    const secret = { name: 'svc-other', plugin: true, check: { type: 'heartbeat' }, config: { apiKey: 'operator-only-secret' } };
    expect((await operator.request('registry.register', secret)).ok).toBe(true);
    expect((await operator.request('config.get', { name: 'svc-other' })).result).toMatchObject({ config: { apiKey: 'operator-only-secret' } });
    await settle();
    for (const user of ['svc-other', 'dev1'] as const) {
      const log = heard.get(user)!;
      expect(log.filter((m) => m.payload.includes('operator-only-secret')), user).toEqual([]);
      expect(log.filter((m) => m.topic.startsWith(`${R}/response/`) || m.topic.startsWith(`${R}/event/`) || m.topic === `${R}/status`), user).toEqual([]);
    }
  });

  it("gives an MQTT 5 service reusing an operator's correlationId (and response topic) nothing", async () => {
    const first = await operator.request('config.get', { name: 'svc-other', correlationId: 'guessable-op-1' });
    expect(first.ok).toBe(true);
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'svc', password: PASSWORDS.svc, reconnectPeriod: 0 });
    clients.push(c);
    const got: string[] = [];
    c.on('message', (topic) => got.push(topic));
    await c.subscribeAsync(['#', `${R}/response/guessable-op-1`, 'svc/inbox'], { qos: 1 });
    for (const responseTopic of [`${R}/response/guessable-op-1`, 'svc/inbox']) {
      const properties = { responseTopic, correlationData: Buffer.from('guessable-op-1') };
      await c.publishAsync(`${R}/request/config.get`, JSON.stringify({ name: 'svc-other', correlationId: 'guessable-op-1' }), { qos: 1, properties }).catch(() => undefined);
    }
    await settle();
    expect(got).toEqual([]);
  });

  it("takes a service's heartbeat only for its own name", async () => {
    const svc = await as('svc');
    await svc.publishAsync(`${R}/heartbeat/service/svc-other`, '', { qos: 1 });
    // The same client beating for itself, after, is heard: the agent is not deaf, and it would have read
    // the earlier message (same connection, in order) first.
    await svc.publishAsync(`${R}/heartbeat/service/svc`, '', { qos: 1 });
    await waitFor('svc UP from its own heartbeat', async () => (await health('svc')) === 'UP');
    expect(await health('svc-other')).not.toBe('UP');
  });

  it("takes a device's heartbeat only for its own id", async () => {
    const dev = await as('dev1');
    await dev.publishAsync(`${R}/heartbeat/device/ghost`, '', { qos: 1 });
    await dev.publishAsync(`${R}/heartbeat/device/dev1`, '', { qos: 1 });
    const ids = async (): Promise<string[]> => ((await operator.request('trust.get')).result as Array<{ id: string }>).map((d) => d.id);
    await waitFor('dev1 tracked', async () => (await ids()).includes('dev1'));
    expect(await ids()).not.toContain('ghost');
  });

  it("keeps a service out of another service's plugin topics", async () => {
    const svc = await as('svc');
    await svc.publishAsync(`${R}/plugin/svc-other/devices`, JSON.stringify({ devices: [{ id: 'stolen-1' }] }), { qos: 1 });
    await svc.publishAsync(`${R}/plugin/svc-other/trust`, JSON.stringify([{ deviceId: 'stolen-1', trustLevel: 'COMPLETE' }]), { qos: 1 });
    // The owner's own device set, after on another connection, is taken: the agent reads plugin messages.
    const owner = await as('svc-other');
    await owner.publishAsync(`${R}/plugin/svc-other/devices`, JSON.stringify({ devices: [{ id: 'owned-1' }] }), { qos: 1 });
    const ids = async (): Promise<string[]> => ((await operator.request('trust.get')).result as Array<{ id: string }>).map((d) => d.id);
    await waitFor('owned-1 tracked', async () => (await ids()).includes('owned-1'));
    expect(await ids()).not.toContain('stolen-1');
  });

  it("retains nothing a service or device publishes in the agent's tree: a new subscriber sees the agent's own status", async () => {
    for (const user of ['svc', 'dev1'] as const) {
      const c = await as(user);
      await c.publishAsync(`${R}/status`, JSON.stringify({ state: 'offline', forged: true }), { qos: 1, retain: true });
      await c.publishAsync(`${R}/request/services.stop`, JSON.stringify({ all: true, correlationId: `retained-${user}` }), { qos: 1, retain: true });
    }
    await settle();
    const fresh = await mqtt.connectAsync(broker.url, { protocolVersion: 4, username: 'op', password: PASSWORDS.op, reconnectPeriod: 0 });
    clients.push(fresh);
    const retained: Array<{ topic: string; payload: string }> = [];
    fresh.on('message', (topic, payload, packet) => packet.retain && retained.push({ topic, payload: payload.toString() }));
    await fresh.subscribeAsync(`${R}/#`, { qos: 1 });
    await waitFor('the agent status, retained', () => retained.some((m) => m.topic === `${R}/status`));
    expect(retained.filter((m) => m.payload.includes('forged') || m.topic.includes('/request/'))).toEqual([]);
  });

  it('still answers its operator, who may do everything', async () => {
    expect((await operator.request('services.stop', { names: ['svc-other'] })).ok).toBe(true);
    expect(await operator.request('agent.info')).toMatchObject({ ok: true, result: { agentId: 'acl-gw' } });
  });
});
