// An object with more instances than maxLinkedInstances is registered as `</oid>` alone, so a gateway with a
// large fleet does not send every 33002 instance in each Update; below the cap every instance is linked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { clientFor, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from './fixtures/server-process.js';
import { OPERATOR } from '../support/principals.js';

describe('registration links above maxLinkedInstances', () => {
  let server: Lwm2mServerProcess;
  let agent: AgentHarness;
  let client: Lwm2mClient;

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    agent = await openAgentHarness();
    for (const name of ['a', 'b', 'c']) {
      const t = await agent.inbox.accept({ op: 'registry.register', body: { name, check: { type: 'none' } }, origin: 'mqtt', principal: OPERATOR });
      expect((await t.done).ok).toBe(true);
    }
    // 3 services (33000) and the harness's 2 devices (33002): a cap of 2 collapses 33000 only.
    client = clientFor(agent, { serverPort: server.port, endpoint: 'gw-cap', acceptFrom: 'server', parameters: { piggybackReplyMs: PIGGYBACK_ONLY.separateResponseAfterMs, maxLinkedInstances: 2 } });
    await client.start();
  });

  afterAll(async () => {
    await client?.stop();
    await server?.stop();
    await agent?.close();
  });

  it('links the object alone past the cap, and every instance below it', async () => {
    const reg = await server.waitFor((e) => e.event === 'registration' && e.ep === 'gw-cap');
    const links = String(reg.payload).split(',');
    expect(links.some((l) => l.startsWith('</33000>'))).toBe(true);
    expect(links.some((l) => l.startsWith('</33000/'))).toBe(false);
    expect(links).toEqual(expect.arrayContaining(['</33002/0>', '</33002/1>']));
    // The instances are still there to read.
    expect(await server.command('read', { ep: 'gw-cap', path: '/33000/2/0' })).toBe('c');
  });
});
