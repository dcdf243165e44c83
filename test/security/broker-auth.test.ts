// Issue 5 acceptance: the embedded broker with users (scrypt hashes), roles and topic ACLs (CONTRACT 10),
// a TLS listener with a CA made here by openssl, and the refusal to listen beyond loopback with no users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { hashPassword } from '../../src/security/password-hash.js';
import { BIN, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { makeCertificates } from '../support/test-ca.js';
import { hasPeer } from '../support/peers.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

const haveOpenssl = hasPeer('openssl', 'openssl');
// Cheap scrypt parameters: the hashes are real, the test need not pay 16 MiB per CONNECT.
const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORDS = { op: 'operator-secret', dev1: 'device-one', dev2: 'device-two', 'core-data': 'service-secret' };


describe.skipIf(!haveOpenssl)('embedded broker with users, roles and TLS', () => {
  const dir = tempDir('sma-auth-');
  let certs: { ca: string; cert: string; key: string };
  let agent: AgentProcess;
  let url: string;
  let tlsPort: number;
  let operator: MqttRequester;
  const clients: MqttClient[] = [];

  const connect = async (username: string, password: string | undefined): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, { protocolVersion: 4, username, password, reconnectPeriod: 0, connectTimeout: 5_000 });
    clients.push(c);
    return c;
  };
  /** Publishes at QoS 1 and tells whether the broker took it (PUBACK) or hung up on the client. */
  const publishOutcome = async (c: MqttClient, topic: string, payload: string): Promise<'accepted' | 'disconnected'> => {
    const closed = new Promise<'disconnected'>((resolve) => c.once('close', () => resolve('disconnected')));
    const acked = c.publishAsync(topic, payload, { qos: 1 }).then(
      () => 'accepted' as const,
      () => 'disconnected' as const,
    );
    return Promise.race([acked, closed]);
  };

  beforeAll(async () => {
    certs = makeCertificates(dir);
    const users = await Promise.all([
      ['op', 'operator'],
      ['dev1', 'device'],
      ['dev2', 'device'],
      ['core-data', 'service'],
    ].map(async ([username, role]) => ({ username, role, passwordHash: await hashPassword(PASSWORDS[username as keyof typeof PASSWORDS], FAST) })));
    agent = await startAgent({
      agent: { id: 'secure' },
      mqtt: { broker: { host: '127.0.0.1', port: 0, tlsPort: 0, cert: certs.cert, key: certs.key, users } },
    });
    url = `mqtt://127.0.0.1:${agent.mqttPort}`;
    tlsPort = agent.logs().find((l) => l.msg === 'embedded MQTT broker listening')?.tlsPort as number;
    operator = await MqttRequester.connect(url, agent.topicRoot, { username: 'op', password: PASSWORDS.op });
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await operator?.close();
    await agent?.stop();
  });

  it('refuses a wrong password, an unknown user and no credentials', async () => {
    for (const [user, password] of [['op', 'wrong'], ['nobody', 'x'], ['op', undefined]] as const) {
      const err = await connect(user, password).then(
        () => undefined,
        (e: Error & { code?: number }) => e,
      );
      expect(err, `${user}/${password} was let in`).toBeDefined();
      expect(err?.code ?? err?.message).toSatisfy((v: unknown) => v === 4 || v === 5 || /not authorized|bad user/i.test(String(v)));
    }
  });

  it('lets an operator send requests and get answers', async () => {
    const info = await operator.request('agent.info');
    expect(info).toMatchObject({ ok: true, result: { agentId: 'secure' } });
    expect((await operator.request('registry.register', { name: 'core-data', check: { type: 'none' } })).ok).toBe(true);
  });

  it('keeps a device to its own heartbeat: no requests, no other device’s heartbeat, no subscriptions', async () => {
    const dev1 = await connect('dev1', PASSWORDS.dev1);
    expect(await publishOutcome(dev1, `${agent.topicRoot}/request/registry.register`, JSON.stringify({ name: 'evil', check: { type: 'none' }, correlationId: 'evil' }))).toBe('disconnected');
    const dev1b = await connect('dev1', PASSWORDS.dev1);
    expect(await publishOutcome(dev1b, `${agent.topicRoot}/heartbeat/device/dev2`, '')).toBe('disconnected');
    const dev1c = await connect('dev1', PASSWORDS.dev1);
    // SUBACK 0x80 (failure); mqtt.js turns it into a rejected subscribe.
    const granted = await dev1c.subscribeAsync(`${agent.topicRoot}/response/#`, { qos: 1 }).then(
      (g) => g[0].qos,
      (e: Error) => e.message,
    );
    expect(granted).toSatisfy((g: unknown) => g === 128 || /subscribe error/i.test(String(g)));
    expect(await publishOutcome(dev1c, `${agent.topicRoot}/heartbeat/device/dev1`, '')).toBe('accepted');

    await waitFor('dev1 tracked', async () => ((await operator.request('trust.get')).result as Array<{ id: string }>).some((d) => d.id === 'dev1'));
    const devices = ((await operator.request('trust.get')).result as Array<{ id: string }>).map((d) => d.id);
    expect(devices).not.toContain('dev2');
    const names = ((await operator.request('services.list')).result as Array<{ name: string }>).map((v) => v.name);
    expect(names).not.toContain('evil');
    expect(operator.messages.some((m) => m.topic.endsWith('/response/evil'))).toBe(false);
  });

  it('keeps a service to its own topics', async () => {
    const svc = await connect('core-data', PASSWORDS['core-data']);
    expect(await publishOutcome(svc, `${agent.topicRoot}/heartbeat/service/core-data`, '')).toBe('accepted');
    expect(await publishOutcome(svc, `${agent.topicRoot}/request/services.stop`, JSON.stringify({ names: ['core-data'] }))).toBe('disconnected');
    const again = await connect('core-data', PASSWORDS['core-data']);
    expect(await publishOutcome(again, `${agent.topicRoot}/heartbeat/service/other`, '')).toBe('disconnected');
  });

  it('serves MQTT over TLS with a certificate from the test CA, and only to clients that trust it', async () => {
    expect(tlsPort).toBeGreaterThan(0);
    const secure = await MqttRequester.connect(`mqtts://127.0.0.1:${tlsPort}`, agent.topicRoot, {
      username: 'op',
      password: PASSWORDS.op,
      ca: readFileSync(certs.ca),
    });
    try {
      expect(await secure.request('agent.info')).toMatchObject({ ok: true, result: { agentId: 'secure' } });
    } finally {
      await secure.close();
    }
    const untrusted = await mqtt
      .connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { username: 'op', password: PASSWORDS.op, reconnectPeriod: 0, connectTimeout: 5_000 })
      .then((c) => (c.end(true), 'connected'), (e: Error) => e.message);
    expect(untrusted).toMatch(/self.signed|unable to verify|certificate/i);
  });
});

describe('listening beyond loopback', () => {
  it('refuses a non-loopback host with no users: exit status 2 and one line', () => {
    const dataDir = tempDir('sma-open-');
    const config = join(dataDir, 'open.json');
    writeFileSync(config, JSON.stringify({ agent: { id: 'open' }, dataDir, http: { port: 0 }, mqtt: { broker: { host: '0.0.0.0', port: 0 } } }));
    const run = spawnSync(process.execPath, [BIN, 'start', '-c', config], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^sma-bridge: config: mqtt\.broker\.host: 0\.0\.0\.0 is not loopback; configure mqtt\.broker\.users first$/);
  });
});
