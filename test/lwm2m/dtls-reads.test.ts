// Issue 12 acceptance: reads over DTLS PSK against a real DTLS peer, OpenSSL's s_server (CCM_8 only;
// fixtures/openssl-dtls-peer.ts). The test speaks CoAP through it: it answers the Register and sends Reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { freeUdpPort } from '../support/free-port.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';
import { clientFor, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';
import { OpenSslDtlsPeer, portTaken, uriPath } from './fixtures/openssl-dtls-peer.js';
import { optionTexts } from './fixtures/raw-coap-server.js';

const KEY = Buffer.from('sma-psk-key-02').toString('hex');
const present = hasPeer('openssl', 'openssl');

describe.skipIf(!present)('LwM2M reads over DTLS PSK (openssl s_server as the DTLS peer)', () => {
  let server: OpenSslDtlsPeer;
  let agent: AgentHarness;
  let client: Lwm2mClient;
  let localPort: number;

  beforeAll(async () => {
    server = await OpenSslDtlsPeer.start(KEY);
    localPort = await freeUdpPort();
    agent = await openAgentHarness();
    client = clientFor(agent, { serverPort: server.port, endpoint: 'dtls-reads', acceptFrom: 'server', psk: { identity: 'sma-gw', key: KEY }, localPort });
    await client.start();
  });

  afterAll(async () => {
    await client?.stop();
    await agent?.close();
    server?.stop();
  });

  it('registers over the session (the only cipher suite the peer allows is CCM_8), from the configured local port', async () => {
    const register = await server.next('Register over DTLS', (r) => r.code === '0.02');
    expect(optionTexts(register, 'Uri-Path')).toEqual(['rd']);
    await server.answer(register, '2.01', uriPath('rd/dtls1', 'Location-Path'));
    await waitFor('registered', () => client.registrationState === 'registered', 10_000);
    // The configured port is the session's: a second bind of it fails while the session is up.
    expect(await portTaken(localPort)).toBe(true);
  });

  it('answers Reads of a resource and of an instance through the DTLS session', async () => {
    const manufacturer = await server.request('0.01', '/3/0/0');
    expect(manufacturer.code).toBe('2.05');
    expect(manufacturer.payload.toString()).toBe('sma-bridge');
    const server1 = await server.request('0.01', '/1/0', [{ name: 'Accept', value: Buffer.from([110]) }]);
    expect(server1.code).toBe('2.05');
    expect(JSON.parse(server1.payload.toString())).toEqual(expect.arrayContaining([expect.objectContaining({ n: '1', v: 60 })]));
  });

  it('keeps the Security object closed over DTLS too', async () => {
    expect((await server.request('0.01', '/0/0')).code).toBe('4.01');
  });
});
