// Issue 12 item 3 over PSK: a coaps:// Bootstrap-Server. The agent is a real process; the DTLS peer is
// OpenSSL's s_server (CCM_8 only), through which the test plays the Bootstrap-Server at the CoAP level
// (a TEST DOUBLE of its protocol: no LwM2M bootstrap server installs here). It gives the account of
// lwm2m-node-lib, where the agent then registers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { freeUdpPort } from '../support/free-port.js';
import { hasPeer } from '../support/peers.js';
import { OpenSslDtlsPeer, type CoapOption } from './fixtures/openssl-dtls-peer.js';
import { optionTexts, uint } from './fixtures/raw-coap-server.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from './fixtures/server-process.js';

const KEY = Buffer.from('bootstrap-key-1').toString('hex');
const EP = 'bs-dtls-gw';
const senml = (records: unknown[]): Buffer => Buffer.from(JSON.stringify(records));
const SENML: CoapOption = { name: 'Content-Format', value: uint(110) };

describe.skipIf(!hasPeer('openssl', 'openssl'))('client-initiated Bootstrap from a coaps:// Bootstrap-Server (PSK)', () => {
  let bs: OpenSslDtlsPeer;
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;

  beforeAll(async () => {
    bs = await OpenSslDtlsPeer.start(KEY);
    server = await Lwm2mServerProcess.start();
    agent = await startAgent({
      agent: { id: EP },
      lwm2m: { ...PIGGYBACK_ONLY, bootstrapUri: `coaps://127.0.0.1:${bs.port}`, bootstrapPsk: { identity: 'bs-identity', key: KEY }, localPort: await freeUdpPort() },
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    bs?.stop();
  });

  it('sends its Bootstrap-Request through the DTLS session and takes the account written over it', async () => {
    const request = await bs.next('Bootstrap-Request over DTLS', (p) => p.code === '0.02');
    expect(optionTexts(request, 'Uri-Path')).toEqual(['bs']);
    expect(optionTexts(request, 'Uri-Query')).toContain(`ep=${EP}`);
    await bs.answer(request, '2.04');
    expect((await bs.request('0.04', '/')).code).toBe('2.02');
    const security = senml([{ bn: '/0/1/', n: '0', vs: `coap://127.0.0.1:${server.port}` }, { n: '1', vb: false }, { n: '2', v: 3 }, { n: '10', v: 303 }]);
    expect((await bs.request('0.03', '/0/1', [SENML], security)).code).toBe('2.04');
    expect((await bs.request('0.03', '/1/0', [SENML], senml([{ bn: '/1/0/', n: '0', v: 303 }, { n: '1', v: 50 }, { n: '7', vs: 'U' }]))).code).toBe('2.04');
    expect((await bs.request('0.02', '/bs')).code).toBe('2.04');
    const reg = await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
    expect(Number(reg.lt)).toBe(50);
  });
});
