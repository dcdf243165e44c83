// Issue 13 acceptance, end to end: the agent as a real process standing in for EdgeX 4 Core Keeper. A
// real HTTP child service registers the way go-mod-registry does, is health-checked (killed: DOWN, started
// again: UP), shows in services.list over MQTT and as a 33000 instance at an LwM2M server we did not
// write (lwm2m-node-lib), and is HALT after DELETE. KV and config.get/config.set are one store; KV changes
// go out on the broker as EdgeX keeper clients expect. Every answer is checked against the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { BIN, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from '../lwm2m/fixtures/server-process.js';
import { documentedCall, loadDocument, type ApiDocument, type DocumentedAnswer } from './openapi-documents.js';

const run = promisify(execFile);
const SERVICE = join(import.meta.dirname, 'fixtures/edgex-service.mjs');

describe('sma-bridge as EdgeX 4 Core Keeper', () => {
  const EP = 'keeper-gw';
  let agent: AgentProcess;
  let lwm2m: Lwm2mServerProcess;
  let requester: MqttRequester;
  let watcher: mqtt.MqttClient;
  const changes: Array<{ topic: string; envelope: Record<string, unknown> }> = [];
  let doc: ApiDocument;
  let svcPort: number;
  let service: ChildProcess | undefined;
  let base: string;

  const startService = (): void => {
    service = spawn(process.execPath, [SERVICE, '--port', String(svcPort), '--name', 'core-data'], { stdio: 'ignore' });
  };
  const stopService = async (): Promise<void> => {
    const s = service;
    service = undefined;
    if (!s || s.exitCode !== null) return;
    const gone = new Promise((r) => s.once('exit', r));
    s.kill('SIGKILL');
    await gone;
  };

  /** One call; its answer must be one the Keeper document declares (status and body). */
  const keeper = (method: string, path: string, opId: string, body?: unknown): Promise<DocumentedAnswer> => documentedCall(doc, base, method, path, opId, body);

  beforeAll(async () => {
    doc = await loadDocument('core-keeper-4.0.yaml');
    svcPort = await freePort();
    lwm2m = await Lwm2mServerProcess.start();
    agent = await startAgent({
      agent: { id: EP },
      health: { intervalMs: 5_000, timeoutMs: 300, retries: 1, restartDelayMs: 100 },
      lwm2m: { ...PIGGYBACK_ONLY, serverUri: `coap://127.0.0.1:${lwm2m.port}`, lifetimeS: 60, localPort: await freeUdpPort() },
    });
    base = `http://127.0.0.1:${agent.httpPort}/api/v3`;
    requester = await MqttRequester.forAgent(agent);
    watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.mqttPort}`, { clientId: 'edgex-config-watcher' });
    // Where go-mod-configuration's keeper client watches core-data's Writable section.
    await watcher.subscribeAsync('edgex/configs/edgex/v4/core-data/Writable/#', { qos: 1 });
    watcher.on('message', (topic, payload) => changes.push({ topic, envelope: JSON.parse(payload.toString()) as Record<string, unknown> }));
    await lwm2m.waitFor((e) => e.event === 'registration' && e.ep === EP);
    startService();
  });

  afterAll(async () => {
    await stopService();
    await watcher?.endAsync();
    await requester?.close();
    await agent?.stop();
    await lwm2m?.stop();
  });

  it('answers ping and version as Keeper does', async () => {
    const ping = await keeper('GET', '/ping', 'get /ping');
    expect(ping.status).toBe(200);
    expect((ping.body as { timestamp: string }).timestamp).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} UTC$/);
    expect((await keeper('GET', '/version', 'get /version')).body).toMatchObject({ apiVersion: 'v3', serviceName: EP });
    const config = await keeper('GET', '/config', 'get /config');
    expect(JSON.stringify(config.body)).not.toMatch(/passwordHash/);
  });

  it('takes the configuration a service writes before it registers (flatten, as PutConfiguration does)', async () => {
    const put = await keeper('PUT', '/kvs/key/edgex/v4/core-data?flatten=true', 'put /kvs/key/{key}', {
      value: { Writable: { LogLevel: 'INFO', Telemetry: { Interval: '30s' } }, MaxEventSize: 25000 },
    });
    expect(put.body).toMatchObject({ statusCode: 200, response: ['edgex/v4/core-data/Writable/LogLevel', 'edgex/v4/core-data/Writable/Telemetry/Interval', 'edgex/v4/core-data/MaxEventSize'] });
    // HasConfiguration: keyOnly on the base path.
    const keys = await keeper('GET', '/kvs/key/edgex/v4/core-data?keyOnly=true', 'get /kvs/key/{key}');
    expect((keys.body as { response: string[] }).response).toHaveLength(3);
  });

  it('registers a service as go-mod-registry does (GET 404, then POST 201) and health-checks it at its interval', async () => {
    const missing = await keeper('GET', '/registry/serviceId/core-data', 'get /registry/serviceId/{serviceId}');
    expect(missing.status).toBe(404);
    const add = await keeper('POST', '/registry', 'post /registry', {
      apiVersion: 'v3',
      requestId: '',
      registration: { serviceId: 'core-data', status: '', host: '127.0.0.1', port: svcPort, healthCheck: { interval: '500ms', path: '/api/v3/ping', type: 'http' }, lastConnected: 0 },
    });
    expect(add.status).toBe(201);
    const up = await waitFor('core-data UP', async () => {
      const got = await keeper('GET', '/registry/serviceId/core-data', 'get /registry/serviceId/{serviceId}');
      const r = (got.body as { registration: { status: string } }).registration;
      return r.status === 'UP' && r;
    });
    expect(up).toMatchObject({ serviceId: 'core-data', host: '127.0.0.1', port: svcPort, healthCheck: { type: 'http', path: '/api/v3/ping', interval: '500ms' } });
  });

  it('is the same registry entry as over MQTT and LwM2M', async () => {
    const list = await requester.request('services.list');
    const view = (list.result as Array<{ name: string; instanceId: number; health: string }>).find((v) => v.name === 'core-data');
    expect(view?.health).toBe('UP');
    await waitFor('33000 instance at the LwM2M server', async () => (await lwm2m.command('read', { ep: EP, path: `/33000/${view!.instanceId}/0` })) === 'core-data');
    const all = await keeper('GET', '/registry/all', 'get /registry/all');
    expect(all.body).toMatchObject({ totalCount: 1, registrations: [{ serviceId: 'core-data' }] });
  });

  it('shows DOWN when the service dies and UP when it is back', async () => {
    await stopService();
    await waitFor('DOWN', async () => ((await keeper('GET', '/registry/serviceId/core-data', 'get /registry/serviceId/{serviceId}')).body as { registration: { status: string } }).registration.status === 'DOWN');
    const health = await requester.request('services.health', { names: ['core-data'] });
    expect((health.result as Array<{ health: string }>)[0].health).toBe('DOWN');
    startService();
    await waitFor('UP again', async () => ((await keeper('GET', '/registry/serviceId/core-data', 'get /registry/serviceId/{serviceId}')).body as { registration: { status: string } }).registration.status === 'UP');
  });

  it('KV set through the API is what `config get` shows; the change is published where keeper clients watch', async () => {
    const from = changes.length;
    await keeper('PUT', '/kvs/key/edgex/v4/core-data/Writable/LogLevel?flatten=false', 'put /kvs/key/{key}', { value: 'DEBUG' });
    const { stdout } = await run(process.execPath, [BIN, 'config', 'get', 'core-data', '--json', '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', EP]);
    expect(JSON.parse(stdout)).toMatchObject({ config: { Writable: { LogLevel: 'DEBUG', Telemetry: { Interval: '30s' } }, MaxEventSize: 25000 } });
    const change = await waitFor('KV change message', () => changes.slice(from).find((c) => c.topic === 'edgex/configs/edgex/v4/core-data/Writable/LogLevel'));
    expect(change.envelope.contentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(change.envelope.payload as string, 'base64').toString())).toMatchObject({ key: 'edgex/v4/core-data/Writable/LogLevel', value: 'DEBUG' });
  });

  it('`config set` is seen through the API (base64 unless plaintext) and published on the broker', async () => {
    const from = changes.length;
    await run(process.execPath, [BIN, 'config', 'set', 'core-data', 'Writable.LogLevel=WARN', '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', EP]);
    const plain = await keeper('GET', '/kvs/key/edgex/v4/core-data/Writable/LogLevel?plaintext=true', 'get /kvs/key/{key}');
    expect((plain.body as { response: unknown[] }).response).toEqual([{ key: 'edgex/v4/core-data/Writable/LogLevel', value: 'WARN' }]);
    const encoded = await keeper('GET', '/kvs/key/edgex/v4/core-data/Writable/LogLevel', 'get /kvs/key/{key}');
    expect((encoded.body as { response: Array<{ value: string }> }).response[0].value).toBe(Buffer.from('WARN').toString('base64'));
    const change = await waitFor('config.set published', () => changes.slice(from).find((c) => c.topic === 'edgex/configs/edgex/v4/core-data/Writable/LogLevel'));
    // The watcher re-reads the key (plaintext) and drops a message whose value differs: they must agree.
    expect(JSON.parse(Buffer.from(change.envelope.payload as string, 'base64').toString()).value).toBe('WARN');
  });

  it('deletes keys exactly or by prefix, and 404s an unknown one', async () => {
    await keeper('PUT', '/kvs/key/other/app/Setting', 'put /kvs/key/{key}', { value: 'x' });
    const del = await keeper('DELETE', '/kvs/key/other/app/Setting', 'delete /kvs/key/{key}');
    expect(del.body).toMatchObject({ response: ['other/app/Setting'] });
    expect((await keeper('DELETE', '/kvs/key/other/app/Setting', 'delete /kvs/key/{key}')).status).toBe(404);
    expect((await keeper('GET', '/kvs/key/no/such/key', 'get /kvs/key/{key}')).status).toBe(404);
    const prefix = await keeper('DELETE', '/kvs/key/edgex/v4/core-data/Writable/Telemetry?prefixMatch=true', 'delete /kvs/key/{key}');
    expect(prefix.body).toMatchObject({ response: ['edgex/v4/core-data/Writable/Telemetry/Interval'] });
    const got = await requester.request('config.get', { name: 'core-data' });
    expect((got.result as { config: { Writable: Record<string, unknown> } }).config.Writable.Telemetry).toEqual({});
  });

  it('refuses bad input in the ErrorResponse shape', async () => {
    expect((await keeper('POST', '/registry', 'post /registry', '{"registration":')).status).toBe(400);
    expect((await keeper('POST', '/registry', 'post /registry', { registration: { serviceId: 'Bad Name!', port: 1, healthCheck: { type: 'http' } } })).status).toBe(400);
    expect((await keeper('PUT', '/registry', 'put /registry', { registration: { serviceId: 'core-data', port: svcPort, healthCheck: { type: 'http', interval: 'often' } } })).status).toBe(400);
    expect((await keeper('GET', '/kvs/key/a?keyOnly=maybe', 'get /kvs/key/{key}')).status).toBe(400);
    expect((await keeper('PUT', '/kvs/key/a', 'put /kvs/key/{key}', { nothing: 1 })).status).toBe(400);
    expect((await keeper('PUT', '/kvs/key/a/b%20c', 'put /kvs/key/{key}', { value: 1 })).status).toBe(400);
  });

  it('answers 409 to a POST for a registered serviceId and 404 to a PUT for an unknown one, changing nothing', async () => {
    const registration = (serviceId: string) => ({ apiVersion: 'v3', registration: { serviceId, host: '127.0.0.1', port: 1, healthCheck: { interval: '1s', path: '/x', type: 'http' } } });
    const again = await keeper('POST', '/registry', 'post /registry', registration('core-data'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, message: expect.stringContaining('core-data') });
    const kept = await keeper('GET', '/registry/serviceId/core-data', 'get /registry/serviceId/{serviceId}');
    expect((kept.body as { registration: { port: number } }).registration.port).toBe(svcPort);
    expect((await keeper('PUT', '/registry', 'put /registry', registration('core-nothing'))).status).toBe(404);
    expect((await keeper('GET', '/registry/serviceId/core-nothing', 'get /registry/serviceId/{serviceId}')).status).toBe(404);
  });

  it('deregisters with DELETE: HALT, listed only with deregistered=true, no longer checked', async () => {
    const del = await keeper('DELETE', '/registry/serviceId/core-data', 'delete /registry/serviceId/{serviceId}');
    expect(del.status).toBe(204);
    const halted = await keeper('GET', '/registry/serviceId/core-data', 'get /registry/serviceId/{serviceId}');
    expect((halted.body as { registration: { status: string } }).registration.status).toBe('HALT');
    expect((await keeper('GET', '/registry/all', 'get /registry/all')).body).toMatchObject({ totalCount: 0, registrations: [] });
    expect((await keeper('GET', '/registry/all?deregistered=true', 'get /registry/all')).body).toMatchObject({ totalCount: 1, registrations: [{ status: 'HALT' }] });
    const list = await requester.request('services.list', { includeDeregistered: true });
    expect((list.result as Array<{ name: string; status: string }>).find((v) => v.name === 'core-data')?.status).toBe('HALT');
    expect((await keeper('DELETE', '/registry/serviceId/core-data', 'delete /registry/serviceId/{serviceId}')).status).toBe(404);
  });

  it('revives with PUT (go-mod-registry re-registering) and deregisters with PUT status HALT (its Unregister)', async () => {
    const registration = { serviceId: 'core-data', host: '127.0.0.1', port: svcPort, healthCheck: { interval: '1s', path: '/api/v3/ping', type: 'http' } };
    expect((await keeper('PUT', '/registry', 'put /registry', { apiVersion: 'v3', registration })).status).toBe(204);
    expect((await keeper('GET', '/registry/all', 'get /registry/all')).body).toMatchObject({ totalCount: 1 });
    expect((await keeper('PUT', '/registry', 'put /registry', { apiVersion: 'v3', registration: { ...registration, status: 'HALT' } })).status).toBe(204);
    expect((await keeper('GET', '/registry/all', 'get /registry/all')).body).toMatchObject({ totalCount: 0 });
  });
});
