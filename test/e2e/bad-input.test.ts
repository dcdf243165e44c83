// Issue 2 acceptance: bad input gets its contract error code and the agent keeps serving.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { agentSuite } from '../support/agent-suite.js';
import { waitFor } from '../support/wait-for.js';

describe('bad input over MQTT', () => {
  const s = agentSuite();

  const stillServing = async (): Promise<void> => {
    const info = await s.mqtt.request('agent.info');
    expect(info.ok).toBe(true);
    expect((info.result as { agentId: string }).agentId).toBe(s.agent.agentId);
  };

  it('malformed JSON -> INVALID_REQUEST on the uncorrelated reply topic', async () => {
    const { agent, mqtt } = s;
    await mqtt.publishRaw(`${agent.topicRoot}/request/services.list`, '{"correlationId": "x", oops');
    const found = await waitFor('error reply', () => mqtt.messages.find((m) => m.topic === `${agent.topicRoot}/response/unknown`));
    const reply = JSON.parse(found.payload.toString()) as { ok: boolean; error: { code: string } };
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe('INVALID_REQUEST');
    await stillServing();
  });

  it('an unknown operation -> INVALID_REQUEST', async () => {
    const { mqtt } = s;
    const reply = await mqtt.request('services.explode', {});
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe('INVALID_REQUEST');
    expect(reply.error?.message).toContain('services.explode');
    await stillServing();
  });

  it('an invalid service name -> INVALID_REQUEST naming the field', async () => {
    const { mqtt } = s;
    const reply = await mqtt.request('registry.register', { name: 'Bad Name!', check: { type: 'none' } });
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe('INVALID_REQUEST');
    expect(reply.error?.message).toContain('name');
    await stillServing();
  });

  it('a payload over 64 KiB -> INVALID_REQUEST', async () => {
    const { agent, mqtt } = s;
    const correlationId = randomUUID();
    const big = JSON.stringify({ correlationId, filler: 'x'.repeat(70 * 1024) });
    await mqtt.publishRaw(`${agent.topicRoot}/request/services.list`, big);
    // Over the limit the body is not decoded, so the reply cannot be correlated by its body.
    const found = await waitFor('error reply', () =>
      mqtt.messages.filter((m) => m.topic === `${agent.topicRoot}/response/unknown`).map((m) => JSON.parse(m.payload.toString())).find((r) => /64 KiB/.test(r.error?.message)),
    );
    expect(found.error.code).toBe('INVALID_REQUEST');
    await stillServing();
  });

  it('cuts a connection whose MQTT packet declares more than the limit, before buffering it', async () => {
    const { agent, mqtt } = s;
    const { connect } = await import('node:net');
    const socket = connect(agent.mqttPort, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise((r) => socket.once('close', r));
    // A PUBLISH fixed header declaring 200 MB (remaining length 0xff 0xff 0xff 0x5f), then a trickle of body.
    socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0x5f, 0x00, 0x01, 0x61]));
    await closed;
    const cut = await waitFor('cut logged', () => agent.logs().find((l) => l.msg === 'mqtt connection cut'), 5_000);
    expect(String(cut.reason)).toMatch(/over the \d+-byte limit/);
    await stillServing();
  });

  it('config.set on an unknown service -> NOT_FOUND', async () => {
    const { mqtt } = s;
    const reply = await mqtt.request('config.set', { name: 'ghost', config: { a: 1 } });
    expect(reply.ok).toBe(false);
    expect(reply.error?.code).toBe('NOT_FOUND');
    await stillServing();
  });

  it('a body that is not an object, and unknown fields -> INVALID_REQUEST', async () => {
    const { agent, mqtt } = s;
    const cid = randomUUID();
    await mqtt.publishRaw(`${agent.topicRoot}/request/agent.info`, JSON.stringify([1, 2, 3]));
    const extra = await mqtt.request('services.list', { sneaky: true, correlationId: cid });
    expect(extra.error?.code).toBe('INVALID_REQUEST');
    await stillServing();
  });
});
