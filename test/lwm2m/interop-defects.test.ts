// Issue 12 item 4 and issue 10 item 6: the defects an LwM2M server we did not write showed, each as a
// test that failed on the code before the fix. The server side is RawCoapServer, a test double at the
// CoAP message level (see its header): these cases need exact datagrams (Observe repeated on Block2
// follow-ups as Wakaama sends them, a reused token, one datagram sent twice) that no library server sends
// on request.
import { createSocket, type Socket } from 'node:dgram';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SENML_JSON } from '../../src/lwm2m/content/senml-json-format.js';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { OPERATOR } from '../support/principals.js';
import { clientOnRawServer, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';
import { block2, optionOf, optionTexts, parseBlock, RawCoapServer, uint } from './fixtures/raw-coap-server.js';

const SERVICES = 8; // /33000 in SenML JSON is then well over one 1024-byte block

describe('LwM2M interop defects (raw CoAP server double)', () => {
  let agent: AgentHarness;
  let server: RawCoapServer;
  let client: Lwm2mClient;

  beforeAll(async () => {
    agent = await openAgentHarness();
    for (let i = 0; i < SERVICES; i++) {
      const t = await agent.inbox.accept({ op: 'registry.register', body: { name: `svc-${i}`, host: '10.0.0.1', port: 9000 + i, check: { type: 'none' } }, origin: 'mqtt', principal: OPERATOR });
      expect((await t.done).ok).toBe(true);
    }
    ({ server, client } = await clientOnRawServer(agent, { endpoint: 'gw-raw', acceptFrom: 'server' }));
  });

  afterAll(async () => {
    await client?.stop();
    await server?.close();
    await agent?.close();
  });

  const accept = { name: 'Accept', value: uint(SENML_JSON) };
  const observe0 = { name: 'Observe', value: uint(0) };

  /** Fetches the remaining blocks of a body; for a notification as Wakaama does: a new token each time, Observe repeated. */
  async function followUps(first: ParsedPacket, path: string, o: { token?: Buffer; observe: boolean }): Promise<{ body: Buffer; answers: ParsedPacket[] }> {
    const answers: ParsedPacket[] = [];
    let body = first.payload;
    let block = parseBlock(optionOf(first, 'Block2')!);
    while (block.more) {
      const res = await server.request({ code: 'GET', path, token: o.token, options: [...(o.observe ? [observe0] : []), accept, { name: 'Block2', value: block2(block.num + 1, false) }] });
      expect(res.code).toBe('2.05');
      answers.push(res);
      const b = parseBlock(optionOf(res, 'Block2')!);
      expect(b.num).toBe(block.num + 1);
      body = Buffer.concat([body, res.payload]);
      block = b;
    }
    return { body, answers };
  }

  it('answers a Block2 follow-up of a notification with the block asked for, Observe kept, and the observation lives on', async () => {
    const token = Buffer.from('0b5e0001', 'hex');
    const first = await server.request({ code: 'GET', path: '/33000', token, options: [observe0, accept] });
    expect(first.code).toBe('2.05');
    expect(optionOf(first, 'Observe')).toBeDefined();
    expect(parseBlock(optionOf(first, 'Block2')!)).toMatchObject({ num: 0, more: true });
    const { body, answers } = await followUps(first, '/33000', { observe: true });
    for (const a of answers) expect(optionOf(a, 'Observe'), 'a block answer without Observe ends a Wakaama observation').toBeDefined();
    const records = JSON.parse(body.toString()) as Array<{ n?: string; bn?: string; vs?: string }>;
    expect(records.filter((r) => r.vs?.startsWith('svc-')).length).toBe(SERVICES);
    // Still observed: a status change is notified on the original token.
    const from = server.received.length;
    agent.services.set('svc-3', 'STOPPED');
    const note = await server.waitFor((p) => p.token.equals(token) && !p.ack && p.code === '2.05', from);
    expect(optionOf(note, 'Observe')).toBeDefined();
    const again = await followUps(note, '/33000', { observe: true });
    expect(again.body.toString()).toContain('STOPPED');
    await server.request({ code: 'GET', path: '/33000', token, options: [{ name: 'Observe', value: uint(1) }, accept] });
  });

  it('answers an Observe that reuses the token of an earlier block-wise GET', async () => {
    const token = Buffer.from('70c3e000', 'hex');
    const first = await server.request({ code: 'GET', path: '/33000', token, options: [accept] });
    expect(parseBlock(optionOf(first, 'Block2')!).more).toBe(true);
    await followUps(first, '/33000', { token, observe: false });
    const obs = await server.request({ code: 'GET', path: '/33000', token, options: [observe0, accept] });
    expect(obs.code).toBe('2.05');
    expect(obs.ack).toBe(true);
    expect(optionOf(obs, 'Observe')).toBeDefined();
    // Follow-ups with the same token again: the coap package had the earlier GET's body cached under it.
    const { body } = await followUps(obs, '/33000', { token, observe: true });
    expect(body.toString()).toContain('svc-7');
    await server.request({ code: 'GET', path: '/33000', token, options: [{ name: 'Observe', value: uint(1) }, accept] });
  });

  it('arms pmax at once when Write-Attributes comes after the Observe', async () => {
    const token = Buffer.from('9a0a0001', 'hex');
    const obs = await server.request({ code: 'GET', path: '/33001/0/2', token, options: [observe0] });
    expect(obs.code).toBe('2.05');
    const wa = await server.request({ code: 'PUT', path: '/33001/0/2', options: [{ name: 'Uri-Query', value: Buffer.from('pmax=1') }] });
    expect(wa.code).toBe('2.04');
    const from = server.received.length;
    const note = await server.waitFor((p) => p.token.equals(token) && !p.ack && p.code === '2.05', from, 4_000);
    expect(note.payload.toString()).toBe(String(SERVICES));
    await server.request({ code: 'PUT', path: '/33001/0/2', options: [{ name: 'Uri-Query', value: Buffer.from('pmax') }] });
    await server.request({ code: 'GET', path: '/33001/0/2', token, options: [{ name: 'Observe', value: uint(1) }] });
  });

  describe('Create with a requested instance id', () => {
    const tlvName = (iid: number, name: string): Buffer => {
      // TLV: object instance iid holding resource 0 (Name) as a string (OMA TS Core 7.4.3).
      const value = Buffer.from(name);
      const res = Buffer.concat([Buffer.of(0xc0 | (value.length < 8 ? value.length : 0), 0), value.length < 8 ? Buffer.alloc(0) : Buffer.alloc(0), value]);
      const resource = value.length < 8 ? res : Buffer.concat([Buffer.of(0xc8, 0, value.length), value]);
      return Buffer.concat([Buffer.of(0x08, iid, resource.length), resource]);
    };
    const create = (iid: number, name: string) =>
      server.request({ code: 'POST', path: '/33000', options: [{ name: 'Content-Format', value: uint(11542) }], payload: tlvName(iid, name) });

    it('honours a free id', async () => {
      const res = await create(77, 'created-77');
      expect(res.code).toBe('2.01');
      expect(optionTexts(res, 'Location-Path')).toEqual(['33000', '77']);
      const read = await server.request({ code: 'GET', path: '/33000/77/0' });
      expect(read.payload.toString()).toBe('created-77');
    });

    it('refuses an id in use with 4.00 and creates nothing', async () => {
      const res = await create(2, 'would-steal-2');
      expect(res.code).toBe('4.00');
      const list = await agent.registry.list();
      expect(list.find((r) => r.name === 'would-steal-2')).toBeUndefined();
      expect(list.find((r) => r.instanceId === 2)?.name).toBe('svc-2');
    });
  });
});

describe('source filter (issue 10 item 6): a peer other than the server is refused before the dedup cache', () => {
  let agent: AgentHarness;
  let server: RawCoapServer;
  let client: Lwm2mClient;
  let stranger: Socket;
  const received: ParsedPacket[] = [];

  beforeAll(async () => {
    agent = await openAgentHarness();
    const t = await agent.inbox.accept({ op: 'registry.register', body: { name: 'only', check: { type: 'none' } }, origin: 'mqtt', principal: OPERATOR });
    expect((await t.done).ok).toBe(true);
    ({ server, client } = await clientOnRawServer(agent, { endpoint: 'gw-filter', acceptFrom: 'server', parameters: { exchangeCacheEntries: 64 } }));
    stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    stranger.on('message', (m) => received.push(parse(m)));
  });
  afterEach(() => void received.splice(0));
  afterAll(async () => {
    stranger?.close();
    await client?.stop();
    await server?.close();
    await agent?.close();
  });

  const strangerSend = (mid: number, path: string[]) =>
    stranger.send(generate({ messageId: mid, token: uint(mid + 1), confirmable: true, code: 'GET', options: path.map((p) => ({ name: 'Uri-Path', value: Buffer.from(p) })) }), client.port, '127.0.0.1');

  it('serves the stranger nothing', async () => {
    strangerSend(100, ['33000', '0', '0']);
    strangerSend(101, ['3', '0']);
    await server.request({ code: 'GET', path: '/3/0/0' }); // the server is still served meanwhile
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((p) => p.code.startsWith('2.'))).toEqual([]);
  });

  it("keeps the server's cached answers: stranger datagrams do not evict them", async () => {
    // The server reads 33000/0/1; the status then changes; its retransmission of the same datagram must get
    // the cached (old) answer, as RFC 7252 4.5 de-duplication wants.
    const read = server.build({ code: 'GET', path: '/33000/0/1' });
    expect((await server.send(read)).payload.toString()).toBe('RUNNING');
    agent.services.set('only', 'STOPPED');
    // More stranger datagrams than the cache holds (64 here, 1024 by default).
    for (let i = 0; i < 200; i++) strangerSend(1000 + i, ['33000', '0', String(i % 13)]);
    await new Promise((r) => setTimeout(r, 300));
    expect((await server.send(read)).payload.toString()).toBe('RUNNING');
    expect((await server.request({ code: 'GET', path: '/33000/0/1' })).payload.toString()).toBe('STOPPED');
  });
});
