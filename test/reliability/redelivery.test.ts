// A request sent again with MQTT's DUP flag (the PUBACK was lost: a crash, a cut connection) is acknowledged
// without a second answer once its answer is out; a fresh re-send (no DUP) still gets the stored answer.
// Against the agent process on its embedded broker, where the client's own DUP flag reaches the agent (a
// broker like mosquitto sets it only on its own redeliveries, which the crash trials exercise).
import { describe, expect, it } from 'vitest';
import { agentSuite } from '../support/agent-suite.js';

describe('a redelivered request (DUP) is answered once', () => {
  const s = agentSuite({ log: { level: 'debug' } });

  it('acknowledges a DUP whose answer is out without answering again, and answers a fresh re-send', async () => {
    const { agent, mqtt: requester } = s;
    const body = JSON.stringify({ name: 'dup-svc', check: { type: 'none' }, correlationId: 'dup-1' });
    const topic = `${agent.topicRoot}/request/registry.register`;
    const first = await requester.request('registry.register', JSON.parse(body) as Record<string, unknown>);
    expect(first).toMatchObject({ ok: true });
    // The sent mark is written once the broker has taken the answer; give that write a moment.
    await new Promise((r) => setTimeout(r, 500));
    await requester.client.publishAsync(topic, body, { qos: 1, dup: true });
    await requester.client.publishAsync(topic, body, { qos: 1 });
    const answers = (): number => requester.messages.filter((m) => m.topic === `${agent.topicRoot}/response/dup-1`).length;
    await expect.poll(answers, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    // Requests are taken in order: had the DUP been answered, its answer would be here before the re-send's.
    await new Promise((r) => setTimeout(r, 300));
    expect(answers()).toBe(2);
    expect(agent.logs().some((l) => l.msg === 'redelivered request: answered once already')).toBe(true);
    expect(await requester.request('agent.info')).toMatchObject({ ok: true });
  });
});
