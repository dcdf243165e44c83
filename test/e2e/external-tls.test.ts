// Issue 2, item 7: the agent as a client of an external broker over mqtts:// with a CA, a user name and a
// password: Debian's mosquitto with a TLS listener (certificates from openssl) and a password file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { makeCertificates } from '../support/test-ca.js';

const havePeers = hasPeer('mosquitto', 'mosquitto') && hasPeer('mosquitto_passwd', 'mosquitto') && hasPeer('openssl', 'openssl');

describe.skipIf(!havePeers)('agent on an external broker over mqtts with a password', () => {
  const dir = tempDir('sma-mqtts-');
  let broker: Mosquitto;
  let agent: AgentProcess | undefined;
  let certs: { ca: string; cert: string; key: string };

  beforeAll(async () => {
    certs = makeCertificates(dir);
    const passwords = join(dir, 'passwords');
    execFileSync('mosquitto_passwd', ['-b', '-c', passwords, 'agent', 'agent-secret']);
    execFileSync('mosquitto_passwd', ['-b', passwords, 'ops', 'ops-secret']);
    // mosquitto started as root drops to its own user: it must be able to read these (test files only).
    chmodSync(dir, 0o755);
    for (const f of [passwords, certs.ca, certs.cert, certs.key]) chmodSync(f, 0o644);
    broker = await startMosquitto(
      `allow_anonymous false\npassword_file ${passwords}\ncafile ${certs.ca}\ncertfile ${certs.cert}\nkeyfile ${certs.key}`,
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await broker?.stop();
  });

  const tlsUrl = () => `mqtts://127.0.0.1:${broker.port}`;

  it('connects with the CA, user and password, and answers requests', async () => {
    agent = await startAgent({
      agent: { id: 'tls-gw' },
      mqtt: { mode: 'external', url: tlsUrl(), ca: certs.ca, username: 'agent', password: 'agent-secret' },
    });
    const ops = await MqttRequester.connect(tlsUrl(), 'sma/tls-gw', { ca: readFileSync(certs.ca), username: 'ops', password: 'ops-secret' });
    try {
      const info = await ops.request('agent.info');
      expect(info.ok).toBe(true);
      expect(info.result).toMatchObject({ agentId: 'tls-gw' });
    } finally {
      await ops.close();
      await agent.stop();
      agent = undefined;
    }
  });

  it('refuses to start with a wrong password: one line, exit status 1', async () => {
    await expect(
      startAgent({ agent: { id: 'tls-bad' }, mqtt: { mode: 'external', url: tlsUrl(), ca: certs.ca, username: 'agent', password: 'wrong' } }),
    ).rejects.toThrow(/agent exited 1: sma-bridge: cannot start: .*(Not authorized|Bad username)/i);
  });
});
