// Issue 12 acceptance: reads over DTLS PSK against a real DTLS peer. libcoap's coap-rd-openssl (the other
// DTLS test) takes a registration but never sends a request, so here OpenSSL's own `openssl s_server` is
// the DTLS 1.2 server, allowing only PSK-AES128-CCM8 (TLS_PSK_WITH_AES_128_CCM_8): whatever the test
// writes to its stdin goes to the client as one DTLS record, whatever the client sends comes out of its
// stdout. The test speaks CoAP through it (coap-packet): it answers the Register and sends Reads.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { freeUdpPort } from '../support/free-port.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';
import { clientFor, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';

const KEY = Buffer.from('sma-psk-key-02').toString('hex');
const present = hasPeer('openssl', 'openssl');
const path = (p: string) => p.split('/').filter(Boolean).map((s) => ({ name: 'Uri-Path' as const, value: Buffer.from(s) }));

describe.skipIf(!present)('LwM2M reads over DTLS PSK (openssl s_server as the DTLS peer)', () => {
  let server: ChildProcess;
  let agent: AgentHarness;
  let client: Lwm2mClient;
  let localPort: number;
  const received: ParsedPacket[] = [];
  let mid = 1000;

  /** A confirmable request through the DTLS session; resolves with the client's piggybacked answer. */
  async function request(code: string, p: string, accept?: number): Promise<ParsedPacket> {
    const messageId = ++mid;
    const options = [...path(p), ...(accept === undefined ? [] : [{ name: 'Accept' as const, value: Buffer.from([accept]) }])];
    server.stdin!.write(generate({ messageId, token: Buffer.from([0xab, messageId & 0xff]), confirmable: true, code, options }));
    return waitFor(`answer to ${code} ${p}`, () => received.find((r) => r.ack && r.messageId === messageId), 10_000);
  }

  beforeAll(async () => {
    const port = await freeUdpPort();
    localPort = await freeUdpPort();
    server = spawn('openssl', ['s_server', '-dtls1_2', '-accept', String(port), '-nocert', '-psk', KEY, '-psk_hint', 'CoAP', '-cipher', 'PSK-AES128-CCM8', '-quiet'], { stdio: ['pipe', 'pipe', 'ignore'] });
    server.stdout!.on('data', (d: Buffer) => {
      try {
        received.push(parse(d));
      } catch {
        /* not a CoAP message */
      }
    });
    // s_server has no readiness line in quiet mode: wait until its UDP port is taken.
    await waitFor('s_server listening', () => new Promise<boolean>((resolve) => {
      const probe = createSocket('udp4');
      probe.once('error', () => resolve(true));
      probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    }), 10_000);
    agent = await openAgentHarness();
    client = clientFor(agent, { serverPort: port, endpoint: 'dtls-reads', acceptFrom: 'server', psk: { identity: 'sma-gw', key: KEY }, localPort });
    await client.start();
  });

  afterAll(async () => {
    await client?.stop();
    await agent?.close();
    server?.kill();
  });

  it('registers over the session (the only cipher suite the peer allows is CCM_8), from the configured local port', async () => {
    const register = await waitFor('Register over DTLS', () => received.find((r) => r.code === '0.02'), 15_000);
    expect(register.options.filter((o) => o.name === 'Uri-Path').map((o) => o.value.toString())).toEqual(['rd']);
    server.stdin!.write(generate({ messageId: register.messageId, token: register.token, ack: true, code: '2.01', options: path('rd/dtls1').map((o) => ({ ...o, name: 'Location-Path' as const })) }));
    await waitFor('registered', () => client.registrationState === 'registered', 10_000);
    // The configured port is the session's: a second bind of it fails while the session is up.
    const taken = await new Promise<boolean>((resolve) => {
      const probe = createSocket('udp4');
      probe.once('error', () => resolve(true));
      probe.bind(localPort, () => probe.close(() => resolve(false)));
    });
    expect(taken).toBe(true);
  });

  it('answers Reads of a resource and of an instance through the DTLS session', async () => {
    const manufacturer = await request('0.01', '/3/0/0');
    expect(manufacturer.code).toBe('2.05');
    expect(manufacturer.payload.toString()).toBe('sma-bridge');
    const server1 = await request('0.01', '/1/0', 110);
    expect(server1.code).toBe('2.05');
    expect(JSON.parse(server1.payload.toString())).toEqual(expect.arrayContaining([expect.objectContaining({ n: '1', v: 60 })]));
  });

  it('keeps the Security object closed over DTLS too', async () => {
    expect((await request('0.01', '/0/0')).code).toBe('4.01');
  });
});
