// Issue 12 item 2: objects 0 (LwM2M Security) and 1 (LwM2M Server) from their DDF files. Nothing of object 0
// reaches a server (4.01, and it is not registered); object 1's Lifetime is writable and takes effect with
// an Update carrying lt; Registration Update Trigger sends an Update; Bootstrap-Request Trigger is refused
// without a bootstrap server. The server is RawCoapServer (a test double, see its header), since these
// checks read the client's Register and Update datagrams themselves.
import type { ParsedPacket } from 'coap-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { clientOnRawServer, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';
import { optionTexts, RawCoapServer, uint } from './fixtures/raw-coap-server.js';

const pathOf = (p: ParsedPacket): string => optionTexts(p, 'Uri-Path').join('/');
const queryOf = (p: ParsedPacket): string[] => optionTexts(p, 'Uri-Query');

describe('LwM2M objects 0 and 1', () => {
  let agent: AgentHarness;
  let server: RawCoapServer;
  let client: Lwm2mClient;

  beforeAll(async () => {
    agent = await openAgentHarness();
    ({ server, client } = await clientOnRawServer(agent, { endpoint: 'gw-acct', acceptFrom: 'server', psk: undefined }));
  });
  afterAll(async () => {
    await client?.stop();
    await server?.close();
    await agent?.close();
  });

  it('registers object 1 but never object 0', () => {
    const register = server.received.find((p) => p.code === '0.02' && pathOf(p) === 'rd')!;
    const links = register.payload.toString();
    expect(links).toContain('</1/0>');
    expect(links).not.toMatch(/<\/0[/>]/);
  });

  it('refuses every access to object 0 with 4.01', async () => {
    for (const [code, path, options] of [
      ['GET', '/0', []],
      ['GET', '/0/0/5', []],
      ['GET', '/0/0', [{ name: 'Accept', value: uint(40) }]],
      ['PUT', '/0/0/0', [{ name: 'Content-Format', value: uint(0) }]],
      ['DELETE', '/0/0', []],
    ] as const) {
      const res = await server.request({ code, path, options: [...options], payload: code === 'PUT' ? Buffer.from('coap://evil') : undefined });
      expect(res.code, `${code} ${path}`).toBe('4.01');
      expect(res.payload.toString()).not.toMatch(/coap:\/\//);
    }
  });

  it('reads the Server object: Short Server ID, Lifetime, Binding', async () => {
    expect((await server.request({ code: 'GET', path: '/1/0/0' })).payload.toString()).toBe('101');
    expect((await server.request({ code: 'GET', path: '/1/0/1' })).payload.toString()).toBe('60');
    expect((await server.request({ code: 'GET', path: '/1/0/7' })).payload.toString()).toBe('U');
  });

  it('takes a written Lifetime at once: an Update with lt follows', async () => {
    const from = server.received.length;
    const res = await server.request({ code: 'PUT', path: '/1/0/1', options: [{ name: 'Content-Format', value: uint(0) }], payload: Buffer.from('45') });
    expect(res.code).toBe('2.04');
    const update = await server.waitFor((p) => p.code === '0.02' && pathOf(p).startsWith('rd/'), from);
    expect(queryOf(update)).toContain('lt=45');
    expect((await server.request({ code: 'GET', path: '/1/0/1' })).payload.toString()).toBe('45');
    const bad = await server.request({ code: 'PUT', path: '/1/0/1', options: [{ name: 'Content-Format', value: uint(0) }], payload: Buffer.from('-1') });
    expect(bad.code).toBe('4.00');
  });

  it('Registration Update Trigger sends an Update; Bootstrap-Request Trigger needs a bootstrap server', async () => {
    const from = server.received.length;
    expect((await server.request({ code: 'POST', path: '/1/0/8' })).code).toBe('2.04');
    await server.waitFor((p) => p.code === '0.02' && pathOf(p).startsWith('rd/'), from);
    expect((await server.request({ code: 'POST', path: '/1/0/9' })).code).toBe('4.05');
  });
});
