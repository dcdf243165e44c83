// Issue 10, attack class 7: check URLs accepted `file://`, `gopher://` and `http://user:pw@...`, and any
// host was polled forever. Against the agent process: what a registration may carry, and what the
// supervisor polls (a manifest or an external registry can hold URLs no registration let through).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

/** An HTTP server on every address that counts the requests it gets; `/redirect` points at `target`. */
async function countingServer(): Promise<{ server: Server; port: number; hits: string[]; target?: string }> {
  const state: { server: Server; port: number; hits: string[]; target?: string } = { server: undefined as unknown as Server, port: 0, hits: [] };
  state.server = createServer((req, res) => {
    state.hits.push(`${req.socket.localAddress} ${req.url}`);
    if (req.url === '/redirect' && state.target) {
      res.writeHead(302, { location: state.target }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
  });
  await new Promise<void>((resolve) => state.server.listen(0, '0.0.0.0', resolve));
  state.port = (state.server.address() as AddressInfo).port;
  return state;
}

describe.skipIf(!outside)('health checks poll http(s) on loopback or allowed hosts only', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let web: Awaited<ReturnType<typeof countingServer>>;
  beforeAll(async () => {
    web = await countingServer();
    web.target = `http://${outside}:${web.port}/after-redirect`;
    agent = await startAgent({
      agent: { id: 'checks' },
      health: { intervalMs: 150, timeoutMs: 500, retries: 1, restartDelayMs: 60_000, allowedHosts: ['allowed.example'] },
    });
    mqtt = await MqttRequester.forAgent(agent);
  });
  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    web?.server.close();
  });

  it('refuses file://, gopher:// and userinfo URLs at registration (INVALID_REQUEST)', async () => {
    for (const url of ['file:///etc/shadow', 'gopher://127.0.0.1:70/1', `http://user:pw@127.0.0.1:${web.port}/health`, `http://user@127.0.0.1:${web.port}/`]) {
      const reply = await mqtt.request('registry.register', { name: 'probe', check: { type: 'http', url } });
      expect(reply, url).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
  });

  it('refuses a host that is neither loopback nor allowed (FORBIDDEN), another host each', async () => {
    for (const url of [`http://${outside}:${web.port}/reg`, 'http://127.example.com/health', 'https://10.0.0.1/']) {
      const reply = await mqtt.request('registry.register', { name: 'probe', check: { type: 'http', url } });
      expect(reply, url).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    const ok = await mqtt.request('registry.register', { name: 'allowed', check: { type: 'http', url: 'http://allowed.example:9/health' } });
    expect(ok).toMatchObject({ ok: true });
  });

  it('never polls a manifest URL outside the rule, and does not follow a redirect there', async () => {
    // A manifest is configuration, not a registration: the supervisor itself must not poll these.
    const manifestAgent = await startAgent({
      agent: { id: 'checks-manifest' },
      registry: { type: 'none' },
      health: { intervalMs: 150, timeoutMs: 500, retries: 1, restartDelayMs: 60_000 },
      services: [
        { name: 'outside', check: { type: 'http', url: `http://${outside}:${web.port}/manifest` } },
        { name: 'bouncer', check: { type: 'http', url: `http://127.0.0.1:${web.port}/redirect` } },
      ],
    });
    const requester = await MqttRequester.forAgent(manifestAgent);
    try {
      await waitFor('the redirecting check was polled', () => web.hits.some((h) => h.endsWith('/redirect')));
      const health = await waitFor('both DOWN', async () => {
        const h = (await requester.request('services.health', { names: ['outside', 'bouncer'] })).result as Array<{ name: string; health: string; detail?: string }>;
        return h.length === 2 && h.every((x) => x.health === 'DOWN') && h;
      });
      expect(health[0].detail).toMatch(/not polled: host .* is not loopback and not in health\.allowedHosts/);
      expect(health[1].detail).toMatch(/HTTP 302/);
      expect(web.hits.filter((h) => h.endsWith('/manifest') || h.endsWith('/after-redirect'))).toEqual([]);
      expect(await requester.request('agent.info')).toMatchObject({ ok: true });
    } finally {
      await requester.close();
      await manifestAgent.stop();
    }
  });
});
