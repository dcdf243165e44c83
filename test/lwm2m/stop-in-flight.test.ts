// Stopping the LwM2M client while confirmable exchanges are in flight in both directions: a Register the
// server never answers (retransmitting), requests from the server still being handled, separate responses
// the server never acknowledges (retransmitting), and requests the coap package never finishes itself.
// None of their timers may send on the closed socket: dgram throws "Not running" from a timer, an uncaught
// exception that would end a running agent during its shutdown.
import { createSocket, type Socket } from 'node:dgram';
import { defaultTiming, updateTiming } from 'coap';
import { generate } from 'coap-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';
import { OPERATOR } from '../support/principals.js';


const bind = async (): Promise<Socket> => {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
};

describe('stopping the LwM2M client with confirmable exchanges in flight', () => {
  let agent: AgentHarness;
  let sink: Socket;
  let peer: Socket;
  const uncaught: unknown[] = [];
  const record = (err: unknown): void => {
    uncaught.push(err);
  };

  beforeAll(async () => {
    // Retransmissions every ~20 ms instead of 2-3 s, so several fall after the stop within this test.
    updateTiming({ ackTimeout: 0.02, ackRandomFactor: 1.5, maxRetransmit: 4 });
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    agent = await openAgentHarness();
    const t = await agent.inbox.accept({ op: 'registry.register', body: { name: 'svc', check: { type: 'none' } }, origin: 'mqtt', principal: OPERATOR });
    expect((await t.done).ok).toBe(true);
    sink = await bind(); // the LwM2M server: receives the Register and never answers it
    peer = await bind(); // sends requests and never acknowledges a separate response
  });

  afterAll(async () => {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
    defaultTiming();
    for (const s of [sink, peer]) s?.close();
    await agent?.close();
  });

  const startClient = async (parameters: { piggybackReplyMs?: number }) => {
    const client = clientFor(agent, { serverPort: sink.address().port, endpoint: 'gw-stop', acceptFrom: 'any', parameters });
    await client.start();
    const registers: Buffer[] = [];
    const answers: Buffer[] = [];
    sink.removeAllListeners('message').on('message', (m) => registers.push(m));
    peer.removeAllListeners('message').on('message', (m) => answers.push(m));
    const port = client.port;
    const send = (packet: Parameters<typeof generate>[0]): void => peer.send(generate(packet), port, '127.0.0.1');
    // Until the Register has been retransmitted: the agent's sender timer is running.
    await expect.poll(() => registers.length, { timeout: 10_000 }).toBeGreaterThan(1);
    return { client, answers, send };
  };
  const path = (...segments: string[]) => segments.map((s) => ({ name: 'Uri-Path' as const, value: Buffer.from(s) }));
  /** Long enough for every retransmission (4 within ~0.5 s at this timing) and piggyback timer (1 s) to come due. */
  const afterTimers = () => new Promise((r) => setTimeout(r, 1_500));

  it('raises no uncaught exception from separate responses still being retransmitted', { timeout: 20_000 }, async () => {
    // Responses not ready within 1 ms go as separate CON responses, which the peer never acknowledges.
    const { client, answers, send } = await startClient({ piggybackReplyMs: 1 });
    // Execute Restart goes through the inbox and its journal: slower than the piggyback window.
    for (let i = 0; i < 40; i++) send({ code: 'POST', confirmable: true, messageId: i, token: Buffer.of(1, i), options: path('33000', '0', '5') });
    // Until separate responses are being retransmitted to the peer.
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThan(40);
    await client.stop();
    await afterTimers();
    expect(uncaught).toEqual([]);
  });

  it('raises no uncaught exception from requests unfinished at the stop', { timeout: 20_000 }, async () => {
    const { client, answers, send } = await startClient({});
    // Requests the coap package leaves unfinished (a Block1 option it cannot parse, a Block1 offset it
    // cannot assemble): their piggyback timers run on. And reads still being handled at the stop.
    send({ code: 'PUT', confirmable: true, messageId: 90, token: Buffer.of(3), options: [...path('3', '0', '13'), { name: 'Block1', value: Buffer.alloc(0) }], payload: Buffer.from('x') });
    send({ code: 'PUT', confirmable: true, messageId: 91, token: Buffer.of(4), options: [...path('3', '0', '13'), { name: 'Block1', value: Buffer.of(0x10) }], payload: Buffer.from('x') });
    for (let i = 0; i < 40; i++) send({ code: 'GET', confirmable: true, messageId: 100 + i, token: Buffer.of(2, i), options: path('33000') });
    // Until the first of them is answered: the rest are being received and handled.
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await client.stop();
    await afterTimers();
    expect(uncaught).toEqual([]);
  });
});
