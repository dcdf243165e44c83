// The LwM2M front read by libcoap's coap-client-notls (Debian libcoap3-bin) with every Accept the
// client supports; the bytes must decode with our codecs and carry the agent's values.
// acceptFrom: any, since coap-client is not the registered server.
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecs } from '../../src/lwm2m/content/content-formats.js';
import { decodeLinks } from '../../src/lwm2m/content/link-format.js';
import type { Lwm2mRecord } from '../../src/lwm2m/content/node.js';
import { loadObjectModels } from '../../src/lwm2m/model/ddf-loader.js';
import type { ObjectModel } from '../../src/lwm2m/model/object-model.js';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { clientFor, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';
import { OPERATOR } from '../support/principals.js';

const OBJECTS = fileURLToPath(new URL('../../objects', import.meta.url));
const COAP_CLIENT = '/usr/bin/coap-client-notls';
const present = existsSync(COAP_CLIENT);
if (!present && process.env.SMA_REQUIRE_PEERS === '1') throw new Error('coap-client-notls missing: apt-get install libcoap3-bin');
if (!present) console.warn('skipping: coap-client-notls not found (Debian package libcoap3-bin)');

const SERVICES = 30; // enough for a /33000 read to need Block2

describe.skipIf(!present)('LwM2M client read by coap-client-notls', () => {
  let agent: AgentHarness;
  let client: Lwm2mClient;
  let sink: Socket;
  let dir: string;
  let models: ReadonlyMap<number, ObjectModel>;

  /** GET with an Accept; returns the response code line (from -v) and the payload bytes. */
  const get = async (path: string, accept: number): Promise<{ ok: boolean; stderr: string; payload: Buffer }> => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(COAP_CLIENT, ['-m', 'get', '-A', String(accept), '-B', '10', '-o', out, `coap://127.0.0.1:${client.port}${path}`], (err, _stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stderr }),
      );
    });
    const payload = existsSync(out) ? await readFile(out) : Buffer.alloc(0);
    return { ok: res.code === 0 && !/^\s*[45]\.\d\d/m.test(res.stderr), stderr: res.stderr, payload };
  };
  const typeOf = (p: readonly number[]) => {
    const r = models.get(p[0]!)?.resources.get(p[2]!);
    return r && r.type !== 'none' ? r.type : undefined;
  };
  const value = (records: Lwm2mRecord[], path: string) => records.find((r) => r.path.join('/') === path)?.value;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sma-coap-client-'));
    models = await loadObjectModels(OBJECTS);
    // A registration target that never answers: this test is about serving reads.
    sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    agent = await openAgentHarness();
    for (let i = 0; i < SERVICES; i++) {
      const t = await agent.inbox.accept({ op: 'registry.register', body: { name: `service-${String(i).padStart(2, '0')}`, host: '10.0.0.1', port: 9000 + i, check: { type: 'none' } }, origin: 'mqtt', principal: OPERATOR });
      expect((await t.done).ok).toBe(true);
    }
    client = clientFor(agent, { serverPort: sink.address().port, endpoint: 'gw-coap', acceptFrom: 'any' });
    await client.start();
  });

  afterAll(async () => {
    await client?.stop();
    sink?.close();
    await agent?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const multiValue: Array<[string, number[], Array<[string, unknown]>]> = [
    ['/3/0', [3, 0], [['3/0/0', 'sma-bridge'], ['3/0/17', 'gateway'], ['3/0/21', 1024 * 1024], ['3/0/11/0', 0]]],
    ['/33000', [33000], [['33000/0/0', 'service-00'], ['33000/29/0', 'service-29'], ['33000/29/11', '10.0.0.1:9029'], ['33000/5/1', 'RUNNING']]],
    ['/33000/3', [33000, 3], [['33000/3/0', 'service-03'], ['33000/3/6', 1.5], ['33000/3/9', 0], ['33000/3/13', 'on-failure'], ['33000/3/15', 3], ['33000/3/16', Date.parse('2024-05-01T11:59:00.000Z') / 1000]]],
    ['/33001/0', [33001, 0], [['33001/0/0', 'gw-test'], ['33001/0/2', SERVICES], ['33001/0/7', 2], ['33001/0/8', 1]]],
    ['/33002', [33002], [['33002/0/0', 'dev-a'], ['33002/1/1', 'NONE'], ['33002/0/3', 'plug']]],
  ];
  for (const [path, target, expected] of multiValue) {
    for (const accept of [11542, 110, 112]) {
      it(`GET ${path} with Accept ${accept} decodes`, async () => {
        const res = await get(path, accept);
        expect(res.ok, res.stderr).toBe(true);
        const records = codecs.get(accept)!.decode(target, res.payload, typeOf);
        for (const [p, v] of expected) expect(value(records, p), p).toEqual(v);
      });
    }
  }

  it('GET single resources as text/plain', async () => {
    expect((await get('/3/0/1', 0)).payload.toString()).toBe('test-model');
    expect((await get('/33000/7/0', 0)).payload.toString()).toBe('service-07');
    expect((await get('/33000/7/6', 0)).payload.toString()).toBe('1.5');
  });

  it('refuses an Accept it cannot honour with 4.06', async () => {
    for (const [path, accept] of [['/3/0/0', 42], ['/3/0', 0], ['/33000', 50]] as const) {
      const res = await get(path, accept);
      expect(res.ok).toBe(false);
      expect(res.stderr).toMatch(/4\.06/);
    }
  });

  it('Discover (Accept 40) answers link format', async () => {
    const res = await get('/33000/4', 40);
    expect(res.ok, res.stderr).toBe(true);
    const links = decodeLinks(res.payload).map((l) => l.uri);
    expect(links[0]).toBe('/33000/4');
    expect(links).toContain('/33000/4/11');
  });

  it('answers 4.04 for a missing path', async () => {
    const res = await get('/33000/77', 110);
    expect(res.stderr).toMatch(/4\.04/);
  });
});
