// Issue 12 item 3, end to end: client-initiated Bootstrap. The agent is a real process with only a
// Bootstrap-Server configured; the Bootstrap-Server is a TEST DOUBLE (RawCoapServer: no LwM2M bootstrap
// server installs here), sending the Delete, Discover, Writes, Reads and Finish a real one sends; the server
// it hands out is lwm2m-node-lib, which we did not write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freeUdpPort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';
import { RawCoapServer, uint } from './fixtures/raw-coap-server.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from './fixtures/server-process.js';

const SENML_JSON = 110;
const LINK_FORMAT = 40;
const EP = 'bs-gw';
const senml = (records: unknown[]): Buffer => Buffer.from(JSON.stringify(records));
const format = (n: number) => ({ name: 'Content-Format', value: uint(n) });

/** What a Bootstrap-Server sends after the Bootstrap-Request: one NoSec account, SSID 202, lifetime 45 s. */
async function provisionTo(bs: RawCoapServer, serverUri: string): Promise<void> {
  expect((await bs.request({ code: '0.04', path: '' })).code).toBe('2.02');
  const writeSecurity = await bs.request({
    code: '0.03',
    path: '/0/1',
    options: [format(SENML_JSON)],
    payload: senml([{ bn: '/0/1/', n: '0', vs: serverUri }, { n: '1', vb: false }, { n: '2', v: 3 }, { n: '10', v: 202 }]),
  });
  expect(writeSecurity.code).toBe('2.04');
  const writeServer = await bs.request({ code: '0.03', path: '/1/0', options: [format(SENML_JSON)], payload: senml([{ bn: '/1/0/', n: '0', v: 202 }, { n: '1', v: 45 }, { n: '7', vs: 'U' }]) });
  expect(writeServer.code).toBe('2.04');
  expect((await bs.request({ code: '0.02', path: '/bs' })).code).toBe('2.04');
}

describe('client-initiated Bootstrap (test-double Bootstrap-Server, lwm2m-node-lib as the server it gives)', () => {
  let bs: RawCoapServer;
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;
  const dataDir = tempDir('sma-bootstrap-');
  let config: Record<string, unknown>;

  const provision = (): Promise<void> => provisionTo(bs, `coap://127.0.0.1:${server.port}`);

  beforeAll(async () => {
    bs = await RawCoapServer.open();
    server = await Lwm2mServerProcess.start();
    config = { agent: { id: EP }, lwm2m: { ...PIGGYBACK_ONLY, bootstrapUri: `coap://127.0.0.1:${bs.port}`, lifetimeS: 300, localPort: await freeUdpPort() } };
    agent = await startAgent(config, { dataDir });
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    bs?.socket.close();
  });

  it('asks the Bootstrap-Server with its endpoint name, and refuses a Finish before any server account', async () => {
    await waitFor('Bootstrap-Request', () => bs.bootstrapRequests.length === 1, 15_000);
    expect(bs.bootstrapRequests).toEqual([EP]);
    const early = await bs.request({ code: '0.02', path: '/bs' });
    expect(early.code).toBe('4.06');
  });

  it('serves Discover, refuses to read keys or touch other objects, and takes the writes', async () => {
    const discover = await bs.request({ code: '0.01', path: '/', options: [{ name: 'Accept', value: uint(LINK_FORMAT) }] });
    expect(discover.code).toBe('2.05');
    expect(discover.payload.toString()).toContain('</0/0>');
    expect(discover.payload.toString()).toMatch(/^<\/>;lwm2m="?1\.1/);
    expect((await bs.request({ code: '0.01', path: '/0/0' })).code).toBe('4.01');
    expect((await bs.request({ code: '0.03', path: '/3/0/15', options: [format(0)], payload: Buffer.from('x') })).code).toBe('4.01');
    // Anyone else writing an account during the bootstrap is refused before the bootstrap interface sees it.
    const stranger = await RawCoapServer.open();
    stranger.client = bs.client;
    const hijack = await stranger.request({ code: '0.03', path: '/0/1', options: [format(SENML_JSON)], payload: senml([{ bn: '/0/1/', n: '0', vs: `coap://127.0.0.1:${stranger.port}` }, { n: '1', vb: false }, { n: '2', v: 3 }, { n: '10', v: 9 }]) });
    expect(hijack.code).toBe('4.01');
    stranger.socket.close();
    await provision();
  });

  it('registers with the server it was given, with the bootstrapped lifetime and Short Server ID', async () => {
    const reg = await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
    expect(Number(reg.lt)).toBe(45);
    expect(await server.command('read', { ep: EP, path: '/1/0/0' })).toBe('202');
    expect(await server.command('read', { ep: EP, path: '/1/0/1' })).toBe('45');
  });

  it('registers directly after a restart (the bootstrapped account is in the store)', async () => {
    await agent.stop();
    const from = server.events.length;
    agent = await startAgent(config, { dataDir });
    const reg = await server.waitFor((e) => e.event === 'registration' && e.ep === EP, from);
    expect(Number(reg.lt)).toBe(45);
    expect(bs.bootstrapRequests).toHaveLength(1);
  });

  it('bootstraps again when the server executes Bootstrap-Request Trigger (1/0/9), and registers anew', async () => {
    await server.command('execute', { ep: EP, path: '/1/0/9' });
    await waitFor('second Bootstrap-Request', () => bs.bootstrapRequests.length === 2, 15_000);
    const from = server.events.length;
    await provision();
    await server.waitFor((e) => e.event === 'registration' && e.ep === EP, from);
  });
});

describe('bootstrapping again when the given server keeps refusing the registration', () => {
  let bs: RawCoapServer;
  let refusing: RawCoapServer;
  let agent: AgentProcess;
  afterAll(async () => {
    await agent?.stop();
    bs?.socket.close();
    refusing?.socket.close();
  });

  it('asks the Bootstrap-Server again after three refused registrations', async () => {
    bs = await RawCoapServer.open();
    // A TEST DOUBLE of an LwM2M server that answers every Register 4.03 Forbidden.
    refusing = await RawCoapServer.open();
    refusing.refuseRegistrationWith = '4.03';
    agent = await startAgent({ agent: { id: 'bs-refused' }, lwm2m: { ...PIGGYBACK_ONLY, bootstrapUri: `coap://127.0.0.1:${bs.port}`, localPort: await freeUdpPort() } });
    await waitFor('Bootstrap-Request', () => bs.bootstrapRequests.length === 1, 15_000);
    await provisionTo(bs, `coap://127.0.0.1:${refusing.port}`);
    await waitFor('a second Bootstrap-Request', () => bs.bootstrapRequests.length === 2, 30_000);
    const registers = refusing.received.filter((p) => p.code === '0.02');
    expect(registers.length).toBe(3);
  });
});
