// lwm2m.separateResponseAfterMs: a request still being handled after that long is answered the CoAP way for slow
// handlers (RFC 7252 5.2.2): an empty ACK at once, then the answer as a CON of its own. The tests against
// lwm2m-node-lib set the key high, because that server never completes such a request; this test keeps the
// separate response itself proven against a peer that takes it: libcoap's coap-client-notls, talking to the agent
// as a real process (acceptFrom any, since it is not the registered server). A Create and a Delete run through the
// journal (a synced write), so they take longer than the 1 ms set here.
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { freeUdpPort } from '../support/free-port.js';
import { hasPeer } from '../support/peers.js';

const run = promisify(execFile);
const haveCoapClient = hasPeer('coap-client-notls', 'libcoap3-bin');

/** The messages coap-client-notls printed at -v 7, in order: type, code, message id, token. */
function messages(text: string): Array<{ type: string; code: string; id: string; token: string }> {
  return [...text.matchAll(/^v:1 t:(\w+) c:(\S+) i:([0-9a-f]+) \{([0-9a-f]*)\}/gm)].map((m) => ({ type: m[1]!, code: m[2]!, id: m[3]!, token: m[4]! }));
}

describe.skipIf(!haveCoapClient)('separate responses (lwm2m.separateResponseAfterMs), taken by coap-client-notls', { timeout: 60_000 }, () => {
  let agent: AgentProcess;
  let sink: Socket;
  let coapPort: number;

  beforeAll(async () => {
    // The registered server: a socket that never answers (this test is about serving requests).
    sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    coapPort = await freeUdpPort();
    agent = await startAgent({
      agent: { id: 'separate-gw' },
      lwm2m: { serverUri: `coap://127.0.0.1:${sink.address().port}`, localPort: coapPort, acceptFrom: 'any', separateResponseAfterMs: 1 },
    });
  });

  afterAll(async () => {
    await agent?.stop();
    sink?.close();
  });

  const coap = async (args: string[]): Promise<string> => {
    const out = await run('coap-client-notls', ['-v', '7', '-B', '10', ...args]);
    return out.stdout + out.stderr;
  };

  /** The request, its empty ACK, then the answer as a CON with the request's token, which the client acknowledges. */
  function expectSeparate(text: string, code: string): void {
    const [request, ack, answer, answerAck] = messages(text);
    expect(request?.type).toBe('CON');
    expect(ack).toMatchObject({ type: 'ACK', code: '0.00', id: request!.id, token: '' });
    expect(answer).toMatchObject({ type: 'CON', code, token: request!.token });
    expect(answer!.id).not.toBe(request!.id);
    expect(answerAck).toMatchObject({ type: 'ACK', code: '0.00', id: answer!.id });
  }

  it('answers a Create and a Delete with an empty ACK, then the response as a CON the client takes', async () => {
    const created = await coap(['-m', 'post', '-t', '110', '-e', JSON.stringify([{ bn: '/33000/', n: '41/0', vs: 'sep-created' }]), `coap://127.0.0.1:${coapPort}/33000`]);
    expectSeparate(created, '2.01');
    expect(created).toMatch(/Location-Path:33000, Location-Path:41/);
    // The Create did take effect: the instance reads back (a plain Read, piggybacked).
    const name = await coap(['-m', 'get', `coap://127.0.0.1:${coapPort}/33000/41/0`]);
    expect(name).toMatch(/t:ACK c:2\.05 .*:: 'sep-created'/);

    const deleted = await coap(['-m', 'delete', `coap://127.0.0.1:${coapPort}/33000/41`]);
    expectSeparate(deleted, '2.02');
    expect(await coap(['-m', 'get', `coap://127.0.0.1:${coapPort}/33000/41/0`])).toMatch(/t:ACK c:4\.04/);
  });
});
