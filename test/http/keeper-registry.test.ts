// Issue 13 item 4: registry.type keeper. The Keeper here is OURS: a second sma-bridge agent (a real
// process) serving the Core Keeper API to core-keeper-4.0.yaml, not EdgeX's Core Keeper (which needs
// PostgreSQL and is not installable here). It shows the provider speaks that API as served by us.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeeperRegistry } from '../../src/registry/keeper-registry.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { remoteRegistryHarness } from '../support/remote-registry-harness.js';
import { registryContract, type RegistryHarness } from '../registry/registry-contract.js';

const silent = pino({ level: 'silent' });
/** The second agent checks registered services itself; slowly, so that its checks stay out of the way. */
const KEEPER_CONFIG = { agent: { id: 'keeper-of-record' }, health: { intervalMs: 60_000 } };

async function keeperHarness(): Promise<RegistryHarness> {
  const keeper = await startAgent(KEEPER_CONFIG);
  const url = `http://127.0.0.1:${keeper.httpPort}`;
  return remoteRegistryHarness('KEEPER', () => new KeeperRegistry({ url, log: silent }), () => keeper.stop());
}

registryContract('keeper (a second sma-bridge serving the Keeper API)', { writable: true }, keeperHarness);

describe('an agent on registry.type keeper, and auto', () => {
  let keeper: AgentProcess;
  let agent: AgentProcess | undefined;
  let requester: MqttRequester | undefined;
  beforeAll(async () => {
    keeper = await startAgent(KEEPER_CONFIG);
  });
  afterAll(async () => {
    await requester?.close();
    await agent?.stop();
    await keeper?.stop();
  });

  const keeperUrl = (): string => `http://127.0.0.1:${keeper.httpPort}`;

  it('registers over MQTT into the Keeper and lists from it', async () => {
    agent = await startAgent({ agent: { id: 'edge-a' }, registry: { type: 'keeper', keeper: { url: keeperUrl() } } });
    requester = await MqttRequester.forAgent(agent);
    expect(((await requester.request('agent.info')).result as { registry: string }).registry).toBe('KEEPER');
    const reg = await requester.request('registry.register', { name: 'app-rules', host: '127.0.0.1', port: 59701, check: { type: 'http', url: 'http://127.0.0.1:59701/api/v3/ping' } });
    expect(reg.ok, JSON.stringify(reg)).toBe(true);
    const all = (await (await fetch(`${keeperUrl()}/api/v3/registry/all`)).json()) as { registrations: Array<{ serviceId: string; port: number; healthCheck: { path: string } }> };
    expect(all.registrations).toMatchObject([{ serviceId: 'app-rules', port: 59701, healthCheck: { path: '/api/v3/ping' } }]);
    // A service registered with the Keeper by someone else is listed too (asked afresh, no cache).
    const add = await fetch(`${keeperUrl()}/api/v3/registry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v3', registration: { serviceId: 'core-metadata', host: '127.0.0.1', port: 59881, healthCheck: { type: 'http', path: '/api/v3/ping', interval: '10s' } } }),
    });
    expect(add.status).toBe(201);
    const names = ((await requester.request('services.list')).result as Array<{ name: string }>).map((v) => v.name);
    expect(names.sort()).toEqual(['app-rules', 'core-metadata']);
    expect((await requester.request('registry.deregister', { name: 'app-rules' })).ok).toBe(true);
    const halted = (await (await fetch(`${keeperUrl()}/api/v3/registry/serviceId/app-rules`)).json()) as { registration: { status: string } };
    expect(halted.registration.status).toBe('HALT');
    await requester.close();
    requester = undefined;
    await agent.stop();
    agent = undefined;
  });

  it('auto: Consul first, then Keeper, then etcd, then the embedded registry', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const viaKeeper = await startAgent({ agent: { id: 'edge-b' }, registry: { type: 'auto', consul: { url: nobody }, keeper: { url: keeperUrl() }, etcd: { hosts: [nobody] } } });
    const chosen = viaKeeper.logs().find((l) => String(l.msg).startsWith('registry:'));
    await viaKeeper.stop();
    expect(chosen?.msg).toMatch(/registry: KEEPER \(auto: .* answers; consul .* does not answer\)/);
    const embedded = await startAgent({ agent: { id: 'edge-c' }, registry: { type: 'auto', keeper: { url: nobody } } });
    const fell = embedded.logs().find((l) => String(l.msg).startsWith('registry:'));
    await embedded.stop();
    expect(fell?.msg).toMatch(/registry: SMA \(auto: keeper .* does not answer; the embedded registry\)/);
  });
});
