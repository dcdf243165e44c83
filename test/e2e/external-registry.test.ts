// Issue 6 acceptance, end to end: the agent as a real process on a real etcd (Debian's etcd-server), an LwM2M
// server we did not write (lwm2m-node-lib), and etcdctl as the "other client" that registers a service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { hasPeer } from '../support/peers.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';
import { EtcdServer } from '../registry/fixtures/etcd-server.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from '../lwm2m/fixtures/server-process.js';

const run = promisify(execFile);
const havePeers = hasPeer('etcd', 'etcd-server') && hasPeer('etcdctl', 'etcd-client');
interface View { name: string; instanceId: number }

describe.skipIf(!havePeers)('registry on etcd, seen over MQTT and LwM2M', () => {
  let etcd: EtcdServer;
  let lwm2m: Lwm2mServerProcess;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  const EP = 'etcd-gw';

  beforeAll(async () => {
    etcd = await EtcdServer.start();
    lwm2m = await Lwm2mServerProcess.start();
    agent = await startAgent({
      agent: { id: EP },
      registry: { type: 'etcd', etcd: { hosts: [etcd.url] } },
      health: { intervalMs: 500, timeoutMs: 300 },
      lwm2m: { ...PIGGYBACK_ONLY, serverUri: `coap://127.0.0.1:${lwm2m.port}`, lifetimeS: 60 },
    });
    mqtt = await MqttRequester.forAgent(agent);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await lwm2m?.stop();
    await etcd?.stop();
  });

  const info = async () => (await mqtt.request('agent.info')).result as { registry: string; services: number };
  const names = async () => ((await mqtt.request('services.list')).result as View[]).map((v) => v.name).sort();
  const etcdctl = (...args: string[]) => run('etcdctl', ['--endpoints', etcd.url, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });

  it('reports ETCD in agent.info and in LwM2M 33001/0/1', async () => {
    expect((await info()).registry).toBe('ETCD');
    await lwm2m.waitFor((e) => e.event === 'registration' && e.ep === EP);
    expect(await lwm2m.command('read', { ep: EP, path: '/33001/0/1' })).toBe('ETCD');
  });

  it('shows a service that another client registered directly in etcd, over MQTT and as a 33000 instance', async () => {
    expect((await mqtt.request('registry.register', { name: 'own-svc', check: { type: 'none' } })).ok).toBe(true);
    const from = lwm2m.events.length;
    await etcdctl('put', '/sma-bridge/services/foreign-svc', JSON.stringify({ check: { type: 'none' }, host: '127.0.0.1', port: 9000 }));
    await waitFor('foreign-svc listed', async () => (await names()).includes('foreign-svc'));
    const view = ((await mqtt.request('services.list')).result as View[]).find((v) => v.name === 'foreign-svc')!;
    const update = await lwm2m.waitFor((e) => e.event === 'update' && String(e.payload).includes(`</33000/${view.instanceId}>`), from);
    expect(update.ep).toBe(EP);
    expect(await lwm2m.command('read', { ep: EP, path: `/33000/${view.instanceId}/0` })).toBe('foreign-svc');
  });

  it('falls back to the manifest when etcd dies, refuses registrations, and goes back when it returns', async () => {
    await etcd.kill();
    await waitFor('registry NONE', async () => (await info()).registry === 'NONE', 15_000);
    expect(mqtt.events('agent').some((e) => e.type === 'REGISTRY_CHANGED')).toBe(true);
    const refused = await mqtt.request('registry.register', { name: 'while-down', check: { type: 'none' } });
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('UNAVAILABLE');
    await etcd.start();
    await waitFor('registry ETCD again', async () => (await info()).registry === 'ETCD', 30_000);
    expect(await names()).toEqual(['foreign-svc', 'own-svc']);
  });
});
