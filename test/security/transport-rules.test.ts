// Issue 10, attack class 6: with users on a non-loopback address and no TLS the plain listener used to
// start without a word (passwords in clear on the network), and "loopback" was a regex that took
// `127.example.com`. Against the agent process: what it refuses, what it logs, where it listens.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { hashPassword } from '../../src/security/password-hash.js';
import { BIN, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { makeCertificates } from '../support/test-ca.js';
import { hasPeer } from '../support/peers.js';
import { MqttRequester } from '../support/mqtt-requester.js';

const haveOpenssl = hasPeer('openssl', 'openssl');
const FAST = { N: 1024, r: 8, p: 1 };
/** An address of this machine that is not loopback (where the test can reach the listener from "outside"). */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const users = async (): Promise<unknown[]> => [{ username: 'op', role: 'operator', passwordHash: await hashPassword('pw', FAST) }];

/** Runs `sma-bridge start` on a config that must be refused; returns exit status and stderr lines. */
function refusedStart(mqtt: Record<string, unknown>): { status: number | null; lines: string[] } {
  const dataDir = tempDir('sma-transport-');
  const config = join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({ agent: { id: 'tr' }, dataDir, http: { port: 0 }, mqtt }));
  const run = spawnSync(process.execPath, [BIN, 'start', '-c', config], { encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, lines: run.stderr.trim().split('\n') };
}

const reachable = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('transport rules: passwords beyond loopback travel only inside TLS', () => {
  const agents: AgentProcess[] = [];
  afterAll(async () => {
    for (const a of agents) await a.stop();
  });

  it('refuses users on a non-loopback address without TLS or allowPlaintext (exit 2, one line)', async () => {
    const run = refusedStart({ broker: { host: '0.0.0.0', port: 0, users: await users() } });
    expect(run.status).toBe(2);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatch(/mqtt\.broker\.host: 0\.0\.0\.0 is not loopback and users are configured: configure TLS .* or set mqtt\.allowPlaintext/);
  });

  it('does not take a name that starts with 127. for loopback (another host)', () => {
    const run = refusedStart({ broker: { host: '127.example.com', port: 0 } });
    expect(run.status).toBe(2);
    expect(run.lines[0]).toMatch(/mqtt\.broker\.host: 127\.example\.com is not loopback; configure mqtt\.broker\.users first/);
  });

  it('refuses a password sent to an external broker in clear beyond loopback', () => {
    const run = refusedStart({ mode: 'external', url: 'mqtt://192.0.2.77:1883', username: 'agent', password: 'secret' });
    expect(run.status).toBe(2);
    expect(run.lines[0]).toMatch(/mqtt\.url: 192\.0\.2\.77 is not loopback and a password is configured: use mqtts:\/\/ or set mqtt\.allowPlaintext/);
  });

  it('starts with allowPlaintext, and says so loudly', async () => {
    const agent = await startAgent({ agent: { id: 'plain' }, mqtt: { allowPlaintext: true, broker: { host: '0.0.0.0', port: 0, users: await users() } } });
    agents.push(agent);
    const warning = agent.logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('INSECURE:'));
    expect(warning).toMatchObject({ level: 40, msg: expect.stringContaining('passwords cross the network in clear') });
    const op = await MqttRequester.connect(`mqtt://127.0.0.1:${agent.mqttPort}`, agent.topicRoot, { username: 'op', password: 'pw' });
    expect(await op.request('agent.info')).toMatchObject({ ok: true });
    await op.close();
  });

  it.skipIf(!haveOpenssl)('with TLS beyond loopback keeps the plain listener on loopback only', async () => {
    const dir = tempDir('sma-tr-tls-');
    const certs = makeCertificates(dir);
    const agent = await startAgent({ agent: { id: 'tls-out' }, mqtt: { broker: { host: '0.0.0.0', port: 0, tlsPort: 0, cert: certs.cert, key: certs.key, users: await users() } } });
    agents.push(agent);
    const listening = agent.logs().find((l) => l.msg === 'embedded MQTT broker listening');
    expect(listening).toMatchObject({ host: '127.0.0.1', tlsHost: '0.0.0.0' });
    expect(await reachable('127.0.0.1', agent.mqttPort)).toBe(true);
    if (outside) expect(await reachable(outside, agent.mqttPort)).toBe(false);
    if (outside) expect(await reachable(outside, listening!.tlsPort as number)).toBe(true);
  });
});
