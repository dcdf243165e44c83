// A deployment under way owns its service (README "Deployments", src/operations/deployment-hold.ts), end to end:
// the agent as a real process from its bin, real service processes, a real HTTP artifact server. An operator's
// stop, restart or deregistration of the service while its deployment is DOWNLOADING, GATING or ROLLING_BACK
// is answered CONFLICT naming the deployment and its state, over MQTT, HTTP (EdgeX's SMA operation and Keeper's
// deregistration) and the CLI; another service named in the same batch still acts; the deployment ends as it
// would have without them (a stop while GATING used to fail the gate and roll the release back).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import type { ArtifactServer } from './artifact-server.js';
import type { MqttRequester } from '../support/mqtt-requester.js';
import { deploy, eventsOf, finalEvent, ProcessSampler, runningVersion, startRig, stopRig, type Rig } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
const run = promisify(execFile);
type Item = { name: string; result: string; status: string; error?: { code: string; message: string } };
type EdgexItem = { serviceName: string; statusCode: number; message?: string };

describe('operators and a deployment of the same service', () => {
  let rig: Rig;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let server: ArtifactServer;
  let appPort: number;
  let otherPort: number;
  let sampler: ProcessSampler;

  const artifact = (version: string, options: Parameters<typeof release>[1] = {}): Record<string, unknown> => {
    const body = release(version, options);
    server.files.set(`/${version}.tgz`, { body });
    return { url: server.url(`/${version}.tgz`), sha256: sha256Hex(body) };
  };
  const reached = (id: string, state: string) => waitFor(`deployment ${state}`, () => eventsOf(mqtt, 'app', id).some((e) => e.state === state), 30_000);
  const batch = async (op: string, names: string[]): Promise<Item[]> => {
    const reply = await mqtt.request(op, { names });
    expect(reply.error).toBeUndefined();
    return reply.result as Item[];
  };
  const http = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`http://127.0.0.1:${agent.httpPort}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const edgexOperation = async (action: string): Promise<EdgexItem> => {
    const r = await http('POST', '/api/v3/system/operation', [{ apiVersion: 'v3', serviceName: 'app', action }]);
    expect(r.status).toBe(207);
    return (r.body as EdgexItem[])[0]!;
  };
  const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args, '--json', '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', agent.agentId], { timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    rig = await startRig({ executor: 'process', health: { intervalMs: 200, retries: 2, restartDelayMs: 300 } });
    ({ agent, mqtt, server, appPort } = rig);
    otherPort = await freePort();
    const other = { name: 'other', check: { type: 'process' }, start: { command: process.execPath, args: [SIM, '--port', String(otherPort), '--name', 'other'] } };
    expect((await mqtt.request('registry.register', other)).ok).toBe(true);
    expect((await batch('services.start', ['other']))[0]?.result).toBe('OK');
    sampler = new ProcessSampler(`--port ${appPort}`);
  });

  afterAll(async () => {
    await stopRig({ ...rig, sampler });
    killAll(`--port ${otherPort}`);
  });

  it('while GATING: stop (MQTT), restart (HTTP, CLI) and deregister (Keeper) get CONFLICT; `other` in the same batch stops; the release passes its gate', async () => {
    const id = await deploy(mqtt, { name: 'app', version: 'v1', artifact: artifact('v1'), gate: { healthyForMs: 4_000, timeoutMs: 30_000 } });
    await reached(id, 'GATING');
    const [pid] = pidsWithArg(`--port ${appPort}`);
    const [app, other] = await batch('services.stop', ['app', 'other']);
    expect(app).toMatchObject({ name: 'app', result: 'CONFLICT', error: { code: 'CONFLICT', message: expect.stringContaining(`(${id}, GATING)`) } });
    expect(other).toMatchObject({ name: 'other', result: 'OK', status: 'STOPPED' });
    expect(pidsWithArg(`--port ${otherPort}`)).toEqual([]);
    const restart = await edgexOperation('restart');
    expect(restart).toMatchObject({ serviceName: 'app', statusCode: 409, message: expect.stringContaining(`(${id}, GATING)`) });
    const deregister = await http('DELETE', '/api/v3/registry/serviceId/app');
    expect(deregister.status).toBe(409);
    expect(JSON.stringify(deregister.body)).toContain(id);
    const byCli = await cli('services', 'restart', 'app');
    expect(byCli.code).toBe(1);
    expect(JSON.parse(byCli.stdout)).toMatchObject([{ name: 'app', result: 'CONFLICT', error: { code: 'CONFLICT' } }]);
    // None of it reached the service: the gate saw no stop, the release is DONE on the process it started.
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE', version: 'v1' });
    expect(pidsWithArg(`--port ${appPort}`)).toEqual([pid]);
    expect(await runningVersion(appPort)).toBe('v1');
    expect((await mqtt.request('services.list')).result).toContainEqual(expect.objectContaining({ name: 'app', status: 'RUNNING' }));
  });

  it('while DOWNLOADING: restart (MQTT) and stop (HTTP) get CONFLICT naming DOWNLOADING; the deployment goes on to DONE', async () => {
    // 16 KiB pieces at 4 000 bytes a second: about 4 s a piece, DOWNLOADING for as long as the test needs.
    const a = artifact('v2', { extra: [{ path: 'app/padding.bin', body: randomBytes(60_000) }] });
    server.files.get('/v2.tgz')!.bytesPerSecond = 4_000;
    const id = await deploy(mqtt, { name: 'app', version: 'v2', artifact: a, gate: { healthyForMs: 500, timeoutMs: 30_000 } });
    await reached(id, 'DOWNLOADING');
    const [app] = await batch('services.restart', ['app']);
    expect(app).toMatchObject({ result: 'CONFLICT', status: 'RUNNING', error: { message: expect.stringContaining(`(${id}, DOWNLOADING)`) } });
    expect(await edgexOperation('stop')).toMatchObject({ statusCode: 409, message: expect.stringContaining('DOWNLOADING') });
    server.files.get('/v2.tgz')!.bytesPerSecond = undefined;
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    expect(await runningVersion(appPort)).toBe('v2');
  });

  it('while ROLLING_BACK: a stop gets CONFLICT; the rollback\'s own stop and start go through: ROLLED_BACK, v2 running', async () => {
    const id = await deploy(mqtt, { name: 'app', version: 'v3', artifact: artifact('v3', { crashAfterMs: 300 }), gate: { healthyForMs: 3_000, timeoutMs: 30_000 } });
    await reached(id, 'ROLLING_BACK');
    const [app] = await batch('services.stop', ['app']);
    expect(app).toMatchObject({ result: 'CONFLICT', error: { message: expect.stringContaining(`(${id}, ROLLING_BACK)`) } });
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'ROLLED_BACK', error: { code: 'GATE' } });
    expect(await runningVersion(appPort)).toBe('v2');
  });

  it('once the deployment has ended the service is the operator\'s again', async () => {
    expect(await batch('services.stop', ['app'])).toMatchObject([{ name: 'app', result: 'OK', status: 'STOPPED' }]);
    expect(await edgexOperation('start')).toMatchObject({ statusCode: 200 });
    await waitFor('v2 back', async () => (await runningVersion(appPort)) === 'v2');
  });

  it('never ran two versions at once (sampled all along)', () => {
    expect(sampler.samples).toBeGreaterThan(50);
    expect(sampler.most).toBe(1);
  });
});
