// deploy.requireSignature covers container services too (CONTRACT 13: unsigned artifacts are refused): an image
// by reference carries no signature, so with signatures required it is refused at acceptance and nothing is
// deployed; a process service's unsigned artifact ends INTEGRITY as before. The agent as a real process; no
// Docker engine is needed, because the refusal comes before the engine is asked anything.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';

describe('deploy.requireSignature and images by reference', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;

  beforeAll(async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    agent = await startAgent({
      executor: { type: 'process', docker: { socket: '/nonexistent/docker.sock' } },
      deploy: { requireSignature: true, trustedKeys: [publicKey.export({ type: 'spki', format: 'pem' }).toString()] },
    });
    mqtt = await MqttRequester.forAgent(agent);
    expect((await mqtt.request('registry.register', { name: 'capp', check: { type: 'none' }, container: { name: 'capp' } })).ok).toBe(true);
  }, 60_000);

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
  });

  it('refuses an unsigned image by reference for a container service, and nothing is deployed', async () => {
    const reply = await mqtt.request('services.deploy', { name: 'capp', version: '2', artifact: { image: 'privileged-debug:latest' } });
    expect(reply.ok ? 'ok' : reply.error?.code, JSON.stringify(reply)).toBe('INVALID_REQUEST');
    expect(reply.ok ? '' : reply.error?.message).toMatch(/requireSignature/);
    const list = (await mqtt.request('services.deployments', { name: 'capp' })).result as { deployments: unknown[] };
    expect(list.deployments).toEqual([]);
  });
});
