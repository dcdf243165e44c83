// Issue 3 acceptance, end to end: the agent as a real process, an LwM2M server we did not write
// (lwm2m-node-lib, in its own process), real child services under the real supervisor, and libcoap's
// coap-client-notls for Create and Delete (the lwm2m-node-lib server has no Create/Delete call).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAgent, ROOT, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { hasPeer } from '../support/peers.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from '../lwm2m/fixtures/server-process.js';

const run = promisify(execFile);
const SIM = join(ROOT, 'firmware-sim/service.js');
const haveCoapClient = hasPeer('coap-client-notls', 'libcoap3-bin');
interface View { name: string; instanceId: number; status: string }

describe('the agent as an LwM2M client of lwm2m-node-lib', () => {
  const EP = 'lwm2m-gw';
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let svcPort: number;
  let coapPort: number;
  let instance: number;

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    svcPort = await freePort();
    coapPort = await freeUdpPort();
    agent = await startAgent({
      agent: { id: EP },
      health: { intervalMs: 300, timeoutMs: 300, retries: 2, restartDelayMs: 100 },
      trust: { heartbeatTimeoutMs: 1_500 },
      // acceptFrom any, so that coap-client can send Create and Delete beside the server.
      lwm2m: { ...PIGGYBACK_ONLY, serverUri: `coap://127.0.0.1:${server.port}`, lifetimeS: 60, localPort: coapPort, acceptFrom: 'any' },
    });
    mqtt = await MqttRequester.forAgent(agent);
    await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await server?.stop();
    killAll(`--port ${svcPort}`);
  });

  const read = (path: string) => server.command('read', { ep: EP, path });

  it('shows a service registered over MQTT as a 33000 instance (Update), and reads it', async () => {
    const from = server.events.length;
    const reg = await mqtt.request('registry.register', {
      name: 'lw-web',
      check: { type: 'http', url: `http://127.0.0.1:${svcPort}/health` },
      start: { command: process.execPath, args: [SIM, '--port', String(svcPort)] },
    });
    expect(reg.ok).toBe(true);
    instance = (reg.result as View).instanceId;
    await server.waitFor((e) => e.event === 'update' && String(e.payload).includes(`</33000/${instance}>`), from);
    expect(await read(`/33000/${instance}/0`)).toBe('lw-web');
    expect(await read('/33001/0/0')).toBe(EP);
    expect(await read('/33001/0/1')).toBe('SMA');
  });

  it('Execute Start runs the service; an observer of Status is notified of each change', async () => {
    expect(await server.command('observe', { ep: EP, path: `/33000/${instance}/1` })).toBeTypeOf('string');
    const from = server.events.length;
    expect(await server.command('execute', { ep: EP, path: `/33000/${instance}/3` })).toBe('');
    await waitFor('service process', () => pidsWithArg(`--port ${svcPort}`).length === 1);
    await server.waitFor((e) => e.event === 'notify' && e.path === `/33000/${instance}/1` && e.value === 'RUNNING', from);
    const stopFrom = server.events.length;
    expect(await server.command('execute', { ep: EP, path: `/33000/${instance}/4` })).toBe('');
    await server.waitFor((e) => e.event === 'notify' && e.path === `/33000/${instance}/1` && e.value === 'STOPPED', stopFrom);
    await waitFor('service process gone', () => pidsWithArg(`--port ${svcPort}`).length === 0);
  });

  it('honours Write-Attributes: with pmax an observed value that does not change is still notified', async () => {
    // pmax 1 s on 33001/0/2 (the service count): notifications come although nothing changes.
    await server.command('writeAttributes', { ep: EP, path: '/33001/0/2', attrs: { pmax: 1 } });
    expect(await server.command('observe', { ep: EP, path: '/33001/0/2' })).toBeTypeOf('string');
    const from = server.events.length;
    const first = await server.waitFor((e) => e.event === 'notify' && e.path === '/33001/0/2', from, 5_000);
    const second = await server.waitFor((e) => e.event === 'notify' && e.path === '/33001/0/2' && e !== first, from, 5_000);
    expect(second.value).toBe(first.value);
  });

  it('notifies an observer of 33002/x/1 when a device behind the gateway loses its trust', async () => {
    await mqtt.client.publishAsync(`${agent.topicRoot}/heartbeat/device/meter-1`, '', { qos: 1 });
    const views = await waitFor('meter-1 tracked', async () => {
      const r = (await mqtt.request('trust.get', { ids: ['meter-1'] })).result as Array<{ instanceId: number }>;
      return r.length === 1 && r;
    });
    const path = `/33002/${views[0].instanceId}/1`;
    expect(await server.command('observe', { ep: EP, path })).toBe('COMPLETE');
    const from = server.events.length;
    // No more heartbeats: NONE after the 1.5 s timeout, and the observer hears of it.
    const note = await server.waitFor((e) => e.event === 'notify' && e.path === path, from, 10_000);
    expect(note.value).toBe('NONE');
    expect(await read(`/33002/${views[0].instanceId}/0`)).toBe('meter-1');
  });

  it('Write on Config is config.set, seen over MQTT', async () => {
    await server.command('write', { ep: EP, path: `/33000/${instance}/8`, value: '{"level":3}' });
    const cfg = await mqtt.request('config.get', { name: 'lw-web' });
    expect(cfg.result).toEqual({ name: 'lw-web', config: { level: 3 } });
  });

  it.skipIf(!haveCoapClient)('takes a Config Write larger than one datagram block-wise (Block1)', async () => {
    const big = { blob: 'x'.repeat(3000), n: 1 };
    // libcoap changes the token from block to block (with a Request-Tag), as RFC 7959 allows.
    const out = await run('coap-client-notls', ['-m', 'put', '-t', '0', '-b', '256', '-e', JSON.stringify(big), '-v', '6', `coap://127.0.0.1:${coapPort}/33000/${instance}/8`]);
    expect(out.stdout + out.stderr).toMatch(/2\.04|Changed/i);
    const cfg = await mqtt.request('config.get', { name: 'lw-web' });
    expect((cfg.result as { config: Record<string, unknown> }).config).toMatchObject(big);
  });

  it.skipIf(!haveCoapClient)('Create on 33000 registers a service and Delete deregisters it', async () => {
    // Instance 40 is free; the agent honours the id the server names (TS Core 6.3.6).
    const senml = JSON.stringify([{ bn: '/33000/', n: '40/0', vs: 'lw-created' }]);
    const created = await run('coap-client-notls', ['-m', 'post', '-t', '110', '-e', senml, '-v', '6', `coap://127.0.0.1:${coapPort}/33000`]);
    expect(created.stdout + created.stderr).toMatch(/2\.01|Created/i);
    const listed = await waitFor('lw-created listed', async () =>
      ((await mqtt.request('services.list')).result as View[]).find((v) => v.name === 'lw-created'),
    );
    expect(listed.instanceId).toBe(40);
    await run('coap-client-notls', ['-m', 'delete', '-v', '6', `coap://127.0.0.1:${coapPort}/33000/${listed.instanceId}`]);
    await waitFor('lw-created gone', async () =>
      !((await mqtt.request('services.list')).result as View[]).some((v) => v.name === 'lw-created'),
    );
    expect(mqtt.events('service/lw-created').map((e) => e.type)).toEqual(expect.arrayContaining(['REGISTERED', 'DEREGISTERED']));
  });

  it('de-registers from the server when it stops', async () => {
    const from = server.events.length;
    expect(await agent.stop()).toBe(0);
    await server.waitFor((e) => e.event === 'unregistration' || e.event === 'deregistration', from);
  });
});
