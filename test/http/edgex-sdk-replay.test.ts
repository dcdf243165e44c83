// Issue 23: EdgeX's own clients against sma-bridge as their Keeper, replayed request by request as their code
// sends them (app-functions-sdk-python 4.0: registry/keeper/client.py and contracts/clients/utils/request.py;
// go-mod-core-contracts clients/http/utils/request.go). Neither client runs here (no PyPI, no Go toolchain
// for EdgeX's modules), so the test sends their exact requests and checks the answers with the rules their
// decoders apply: the SDK decodes a register answer's body into an empty placeholder (any body fails it),
// requires healthCheck.interval and path of every listed registration, and sends `?deregistered=['False']`.
import { request } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The headers python-requests sends with `json=` (the SDK's request.py) and EdgeX's correlation header. */
const SDK_HEADERS = { 'user-agent': 'python-requests/2.32.3', accept: '*/*', 'accept-encoding': 'gzip, deflate', connection: 'keep-alive' };

function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The SDK's Registration DTO decoder: these fields must be present in every listed registration. */
function sdkDecodesRegistration(r: Record<string, unknown>): string[] {
  const missing = ['serviceId', 'host', 'port', 'healthCheck'].filter((k) => r[k] === undefined);
  const hc = (r.healthCheck ?? {}) as Record<string, unknown>;
  for (const k of ['interval', 'path', 'type']) if (typeof hc[k] !== 'string') missing.push(`healthCheck.${k}`);
  return missing.map((m) => `${String(r.serviceId)}: ${m}`);
}

describe('EdgeX clients replayed against sma-bridge as Keeper (issue 23)', () => {
  let agent: AgentProcess;
  let requester: MqttRequester;
  let watcher: MqttClient;
  const changes: string[] = [];

  beforeAll(async () => {
    agent = await startAgent({ agent: { id: 'sdk-gw' }, health: { intervalMs: 7_000 } });
    requester = await MqttRequester.forAgent(agent);
    // Entries registered over MQTT with checks that are not Keeper's: process, heartbeat, http on the default interval.
    for (const [name, check] of [
      ['mqtt-process', { type: 'process' }],
      ['mqtt-heartbeat', { type: 'heartbeat' }],
      ['mqtt-http', { type: 'http', url: 'http://127.0.0.1:9/health' }],
    ] as const) {
      expect((await requester.request('registry.register', { name, check })).ok).toBe(true);
    }
    watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.mqttPort}`, { clientId: 'sdk-config-watcher' });
    // The SDK's watch_for_changes: `edgex/configs/{config_base_path}/{wait_key}/#`.
    await watcher.subscribeAsync('edgex/configs/edgex/v4/app-sample/Writable/#', { qos: 1 });
    watcher.on('message', (topic) => changes.push(topic));
  });

  afterAll(async () => {
    await watcher?.endAsync();
    await requester?.close();
    await agent?.stop();
  });

  it("registers as the SDK does: POST /registry with JSON, answered 201 with no body (the SDK's decoder takes none)", async () => {
    const body = JSON.stringify({
      apiVersion: 'v3',
      registration: { serviceId: 'app-sample', host: 'localhost', port: 59780, healthCheck: { interval: '10s', path: '/api/v3/ping', type: 'http' } },
    });
    const a = await send(agent.httpPort, 'POST', '/api/v3/registry', { ...SDK_HEADERS, 'content-type': 'application/json', 'x-correlation-id': 'c0ffee-1' }, body);
    expect(a.status).toBe(201);
    expect(a.text).toBe('');
    expect(a.headers['x-correlation-id']).toBe('c0ffee-1');
    // Go's client (and go-mod-registry) sends the same with its own header set: the same answer.
    const again = await send(agent.httpPort, 'PUT', '/api/v3/registry', { 'content-type': 'application/json', 'user-agent': 'Go-http-client/1.1' }, body);
    expect(again.status).toBe(204);
    expect(again.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("lists as the SDK does (?deregistered=['False']), and every entry decodes: interval and path included", async () => {
    for (const query of ["deregistered=['False']", "deregistered=%5B%27False%27%5D", 'deregistered=False', 'deregistered=false', '']) {
      const a = await send(agent.httpPort, 'GET', `/api/v3/registry/all?${query}`, SDK_HEADERS);
      expect(a.status, query).toBe(200);
      const regs = (JSON.parse(a.text) as { registrations: Array<Record<string, unknown>> }).registrations;
      expect(regs.map((r) => r.serviceId).sort(), query).toEqual(['app-sample', 'mqtt-heartbeat', 'mqtt-http', 'mqtt-process']);
      expect(regs.flatMap(sdkDecodesRegistration), query).toEqual([]);
    }
    const deregistered = await send(agent.httpPort, 'GET', "/api/v3/registry/all?deregistered=['True']", SDK_HEADERS);
    expect(deregistered.status).toBe(200);
    expect((await send(agent.httpPort, 'GET', "/api/v3/registry/all?deregistered=['maybe']", SDK_HEADERS)).status).toBe(400);
    const listed = (JSON.parse((await send(agent.httpPort, 'GET', '/api/v3/registry/all', SDK_HEADERS)).text) as { registrations: Array<{ serviceId: string; healthCheck: Record<string, string> }> }).registrations;
    expect(listed.find((r) => r.serviceId === 'mqtt-http')?.healthCheck).toEqual({ type: 'http', path: '/health', interval: '7s' });
    expect(listed.find((r) => r.serviceId === 'mqtt-process')?.healthCheck).toEqual({ type: 'process', path: '', interval: '7s' });
  });

  it('puts, watches and reads configuration as the SDK does (put_configuration_value, watch_for_changes, values_by_key)', async () => {
    const put = await send(agent.httpPort, 'PUT', '/api/v3/kvs/key/edgex/v4/app-sample/Writable/LogLevel', { ...SDK_HEADERS, 'content-type': 'application/json' }, JSON.stringify({ value: 'DEBUG' }));
    expect(put.status).toBe(200);
    await waitFor('the change on the watched topic', () => changes.includes('edgex/configs/edgex/v4/app-sample/Writable/LogLevel'));
    const values = await send(agent.httpPort, 'GET', '/api/v3/kvs/key/edgex/v4/app-sample/Writable', SDK_HEADERS);
    expect(values.status).toBe(200);
    const pairs = (JSON.parse(values.text) as { response: Array<{ key: string; value: string }> }).response;
    expect(pairs.map((p) => [p.key, Buffer.from(p.value, 'base64').toString()])).toEqual([['edgex/v4/app-sample/Writable/LogLevel', 'DEBUG']]);
    // Go's DeleteRequest sends no Content-Type and no body: a DELETE like that is served.
    const del = await send(agent.httpPort, 'DELETE', '/api/v3/kvs/key/edgex/v4/app-sample/Writable/LogLevel', { 'user-agent': 'Go-http-client/1.1' });
    expect(del.status).toBe(200);
  });

  it('deregisters as go-mod-registry does (PUT with status HALT) and as the SDK does (DELETE by serviceId)', async () => {
    const body = JSON.stringify({ apiVersion: 'v3', registration: { serviceId: 'app-sample', host: 'localhost', port: 59780, status: 'HALT', healthCheck: { interval: '10s', path: '/api/v3/ping', type: 'http' } } });
    expect((await send(agent.httpPort, 'PUT', '/api/v3/registry', { 'content-type': 'application/json' }, body)).status).toBe(204);
    expect((await send(agent.httpPort, 'DELETE', '/api/v3/registry/serviceId/mqtt-heartbeat', SDK_HEADERS)).status).toBe(204);
    const regs = (JSON.parse((await send(agent.httpPort, 'GET', "/api/v3/registry/all?deregistered=['False']", SDK_HEADERS)).text) as { registrations: Array<{ serviceId: string }> }).registrations;
    expect(regs.map((r) => r.serviceId).sort()).toEqual(['mqtt-http', 'mqtt-process']);
  });
});
