// A batch naming the agent itself (CONTRACT section 4): it answers first, then stops or restarts itself.
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

describe('the agent in its own batch', () => {
  const started: AgentProcess[] = [];
  afterAll(async () => {
    for (const a of started) {
      await a.stop();
      killAll(a.configPath);
    }
  });

  it('stop: answers OK for itself, then exits 0', async () => {
    const agent = await startAgent({ agent: { id: 'self-stop' } });
    started.push(agent);
    const mqtt = await MqttRequester.forAgent(agent);
    const exited = new Promise<number | null>((r) => agent.child.once('exit', (code) => r(code)));
    const reply = await mqtt.request('services.stop', { names: ['self-stop'] });
    expect(reply.result).toEqual([{ name: 'self-stop', result: 'OK', status: 'STOPPING' }]);
    expect(await exited).toBe(0);
    await mqtt.close().catch(() => {});
  });

  it('restart: answers OK, then a new agent process comes up on the same configuration', async () => {
    // INVOCATION_ID empty: not under systemd, so the agent re-executes itself.
    const agent = await startAgent({ agent: { id: 'self-restart' } }, { env: { INVOCATION_ID: '' } });
    started.push(agent);
    const mqtt = await MqttRequester.forAgent(agent);
    const reply = await mqtt.request('services.restart', { names: ['self-restart'] });
    expect(reply.result).toEqual([{ name: 'self-restart', result: 'OK', status: 'RUNNING' }]);
    await mqtt.close().catch(() => {});
    // The successor inherits the same stdout: its own `ready` line follows the first one.
    const second = await waitFor('second ready', () => agent.logs().filter((l) => l.msg === 'ready')[1]);
    const successor = pidsWithArg(agent.configPath).filter((pid) => pid !== agent.child.pid);
    expect(successor).toHaveLength(1);
    const again = await MqttRequester.connect(`mqtt://127.0.0.1:${second.mqttPort as number}`, agent.topicRoot);
    try {
      expect((await again.request('agent.info')).result).toMatchObject({ agentId: 'self-restart' });
    } finally {
      await again.close();
    }
  });
});
