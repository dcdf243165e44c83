// Issue 27: a service's firing rules over LwM2M (33000/x/17 Firing Alerts), read by libcoap's
// coap-client-notls (Debian libcoap3-bin) from the agent as a real process (acceptFrom: any, since the
// client is not the registered server; the registration goes to a UDP socket that never answers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const COAP_CLIENT = '/usr/bin/coap-client-notls';
const present = existsSync(COAP_CLIENT);
if (!present && process.env.SMA_REQUIRE_PEERS === '1') throw new Error('coap-client-notls missing: apt-get install libcoap3-bin');
const SIM = join(ROOT, 'firmware-sim/service.js');

describe.skipIf(!present)('firing rules over LwM2M', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let sink: Socket;
  let coapPort: number;
  let port: number;

  beforeAll(async () => {
    sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    coapPort = await freeUdpPort();
    port = await freePort();
    agent = await startAgent({
      agent: { id: 'watch-lwm2m' },
      lwm2m: { serverUri: `coap://127.0.0.1:${sink.address().port}`, localPort: coapPort, acceptFrom: 'any' },
      watch: { intervalMs: 1000 },
      rules: [{ name: 'big', service: 'fat', metric: 'memoryBytes', above: 100 * 1024 * 1024, forMs: 1000, action: 'alert' }],
    });
    mqtt = await MqttRequester.forAgent(agent);
    const start = { command: process.execPath, args: [SIM, '--port', String(port), '--grow-mb', '150'] };
    expect((await mqtt.request('registry.register', { name: 'fat', check: { type: 'process' }, start })).ok).toBe(true);
    expect((await mqtt.request('registry.register', { name: 'calm', check: { type: 'none' } })).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['fat'] })).ok).toBe(true);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    sink?.close();
    killAll(`--port ${port}`);
  });

  const read = (path: string): Promise<string> =>
    new Promise((resolve, reject) =>
      execFile(COAP_CLIENT, ['-m', 'get', '-A', '0', `coap://127.0.0.1:${coapPort}${path}`], (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))),
    );

  it('reads the firing rule on the service, and none on another', async () => {
    await waitFor('FIRING', () => mqtt.events('alert/big/fat').some((e) => e.type === 'FIRING'), 20_000);
    const views = (await mqtt.request('services.list')).result as Array<{ name: string; instanceId: number }>;
    const iid = (name: string): number => views.find((v) => v.name === name)!.instanceId;
    expect(await read(`/33000/${iid('fat')}/17`)).toBe('big');
    expect(await read(`/33000/${iid('calm')}/17`)).toBe('');
  });

  it('reads the last hour of CPU and memory (services.history) on 33000/x/18 and /19, the growth included', async () => {
    const views = (await mqtt.request('services.list')).result as Array<{ name: string; instanceId: number }>;
    const fat = views.find((v) => v.name === 'fat')!.instanceId;
    const memory = JSON.parse(await read(`/33000/${fat}/19`)) as number[][];
    const fromOp = (await mqtt.request('services.history', { name: 'fat', metric: 'memoryBytes', stepMs: 60_000 })).result as { points: number[][] };
    expect(memory.length).toBeGreaterThan(0);
    expect(memory.map((p) => p[0])).toEqual(fromOp.points.map((p) => p[0]));
    expect(Math.max(...memory.map((p) => p[3]))).toBeGreaterThan(100 * 1024 * 1024);
    const cpu = JSON.parse(await read(`/33000/${fat}/18`)) as number[][];
    expect(cpu.length).toBeGreaterThan(0);
    expect(cpu.every((p) => p.length === 4)).toBe(true);
  });
});
