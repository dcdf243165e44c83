// Issue 12 item 2: a Lifetime a server writes into 1/0/1 takes effect and survives an agent restart (the
// store), until the configured lifetime changes. The agent is a real process; the server is lwm2m-node-lib.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freeUdpPort } from '../support/free-port.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from './fixtures/server-process.js';

describe('a written Lifetime is kept across restarts', () => {
  const EP = 'lt-gw';
  const dataDir = tempDir('sma-lifetime-');
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;
  const config = async (lifetimeS: number) => ({ agent: { id: EP }, lwm2m: { ...PIGGYBACK_ONLY, lifetimeS, localPort: await freeUdpPort(), serverUri: `coap://127.0.0.1:${server.port}` } });
  const restart = async (lifetimeS: number): Promise<number> => {
    await agent.stop();
    const from = server.events.length;
    agent = await startAgent(await config(lifetimeS), { dataDir });
    return Number((await server.waitFor((e) => e.event === 'registration' && e.ep === EP, from)).lt);
  };

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    agent = await startAgent(await config(300), { dataDir });
    await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
  });
  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
  });

  it('registers with the written Lifetime after a restart', async () => {
    await server.command('write', { ep: EP, path: '/1/0/1', value: '77' });
    expect(await server.command('read', { ep: EP, path: '/1/0/1' })).toBe('77');
    expect(await restart(300)).toBe(77);
  });

  it('lets a changed configuration win again', async () => {
    expect(await restart(120)).toBe(120);
    // Forgotten, not merely outvoted: back on the first configuration, the old written value stays gone.
    expect(await restart(300)).toBe(300);
  });
});
