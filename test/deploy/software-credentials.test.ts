// Object 9's User Name (14) and Password (15): HTTP Basic credentials for the Package URI's download, against
// lwm2m-node-lib in its own process, the agent as a real process from its bin, and a real HTTP artifact server
// that demands Basic auth. They get the package through; they are write-only; they appear in no reply, event,
// log line or file once the download is done; they go to the URI's own origin only, never to a redirect target;
// a download a crash interrupts resumes with them after the restart (the one reason they are kept on disk).
// Their refusal over NoSec without the opt-in: test/security/lwm2m-nosec-software.test.ts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { Lwm2mServerProcess } from '../lwm2m/fixtures/server-process.js';
import { ArtifactServer } from './artifact-server.js';
import { appRegistration, runningVersion } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

const EP = 'sw-cred-gw';
const COAP_CLIENT = '/usr/bin/coap-client-notls';
if (!existsSync(COAP_CLIENT) && process.env.SMA_REQUIRE_PEERS === '1') throw new Error('coap-client-notls missing: apt-get install libcoap3-bin');
const USER = 'deployer';
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;
const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** Every file under `dir` whose bytes hold `needle`. */
function filesHolding(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesHolding(path, needle));
    else if (readFileSync(path).includes(needle)) out.push(path);
  }
  return out;
}

describe('object 9 User Name and Password, against lwm2m-node-lib and an artifact server behind Basic auth', { timeout: 90_000 }, () => {
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let artifacts: ArtifactServer;
  let elsewhere: ArtifactServer;
  let appPort: number;
  let iid: number;
  let coapPort: number;
  const dataDir = tempDir('sma-obj9-cred-');
  const seenLogs: Array<Record<string, unknown>> = [];

  const cmd = (c: string, args: Record<string, unknown>) => server.command(c, { ep: EP, ...args });
  const read = async (r: number): Promise<string> => String(await cmd('read', { path: `/9/${iid}/${r}` }));
  const stateAndResult = async (): Promise<string> => `${await read(7)}/${await read(9)}`;
  const until = (want: string, timeoutMs = 20_000) => waitFor(`state/result ${want}`, async () => (await stateAndResult()) === want, timeoutMs);
  const guarded = (version: string, extra: Partial<{ bytesPerSecond: number }> = {}, body = release(version)): string => {
    artifacts.files.set(`/app-${version}.tgz`, { body, basicAuth: { username: USER, password: PASSWORD }, ...extra });
    return `${artifacts.url(`/app-${version}.tgz`)}#sha256=${sha256Hex(body)}`;
  };
  const writeCredentials = async (): Promise<void> => {
    expect(await cmd('write', { path: `/9/${iid}/14`, value: USER })).toBe('');
    expect(await cmd('write', { path: `/9/${iid}/15`, value: PASSWORD })).toBe('');
  };
  const boot = async (): Promise<void> => {
    agent = await startAgent(
      {
        agent: { id: EP },
        executor: 'process',
        health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
        deploy: { gate: { healthyForMs: 800, timeoutMs: 15_000 } },
        lwm2m: { serverUri: `coap://127.0.0.1:${server.port}`, lifetimeS: 60, localPort: (coapPort = await freeUdpPort()), noSecPackageDigest: true, acceptFrom: 'any' },
      },
      { dataDir },
    );
    mqtt = await MqttRequester.forAgent(agent);
  };

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    artifacts = await ArtifactServer.start();
    elsewhere = await ArtifactServer.start();
    appPort = await freePort();
    await boot();
    await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
    const from = server.events.length;
    const reg = await mqtt.request('registry.register', appRegistration('app', appPort));
    iid = (reg.result as { instanceId: number }).instanceId;
    await server.waitFor((e) => e.event === 'update' && String(e.payload).includes(`</9/${iid}>`), from);
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await server?.stop();
    await artifacts?.close();
    await elsewhere?.close();
    killAll(`--port ${appPort}`);
  });

  it('without credentials the artifact server refuses the download: INITIAL, 52', async () => {
    await cmd('write', { path: `/9/${iid}/3`, value: guarded('1.0.0') });
    await until('0/52');
    expect(artifacts.requests.filter((r) => r.path === '/app-1.0.0.tgz').every((r) => r.authorization === undefined)).toBe(true);
  });

  it('User Name and Password written before the URI get it: DELIVERED, then INSTALLED', async () => {
    await writeCredentials();
    const from = artifacts.requests.length;
    await cmd('write', { path: `/9/${iid}/3`, value: guarded('1.0.1') });
    await until('3/3');
    expect(artifacts.requests.slice(from).filter((r) => r.path === '/app-1.0.1.tgz').map((r) => r.authorization)).toEqual([basic]);
    await cmd('execute', { path: `/9/${iid}/4` });
    await until('4/2');
    expect(await runningVersion(appPort)).toBe('1.0.1');
  });

  // lwm2m-node-lib will not even send a Read of a W resource; libcoap's coap-client-notls asks the agent itself
  // (which is why this agent takes requests from any peer: acceptFrom any).
  it.skipIf(!existsSync(COAP_CLIENT))('they are write-only: the agent answers a Read of either 4.05, and its instance read carries neither', async () => {
    const get = (path: string): Promise<{ out: string; err: string }> =>
      new Promise((resolve) => execFile(COAP_CLIENT, ['-m', 'get', '-A', '110', '-B', '5', `coap://127.0.0.1:${coapPort}${path}`], (_e, out, err) => resolve({ out, err })));
    for (const r of [14, 15]) {
      const { out, err } = await get(`/9/${iid}/${r}`);
      expect(`${out}${err}`).toContain('4.05');
    }
    const whole = await get(`/9/${iid}`);
    expect(whole.out).toContain('"n":"0"');
    expect(`${whole.out}${whole.err}`).not.toContain(PASSWORD);
    expect(`${whole.out}${whole.err}`).not.toContain(USER);
  });

  it('a redirect to another origin gets no credentials (the download fails there: 52)', async () => {
    const body = release('1.0.2');
    elsewhere.files.set('/moved.tgz', { body, basicAuth: { username: USER, password: PASSWORD } });
    artifacts.redirects.set('/app-1.0.2.tgz', elsewhere.url('/moved.tgz'));
    await cmd('write', { path: `/9/${iid}/3`, value: `${artifacts.url('/app-1.0.2.tgz')}#sha256=${sha256Hex(body)}` });
    await until('0/52');
    expect(artifacts.requests.filter((r) => r.path === '/app-1.0.2.tgz').every((r) => r.authorization === basic)).toBe(true);
    expect(elsewhere.requests.length).toBeGreaterThan(0);
    expect(elsewhere.requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(await runningVersion(appPort)).toBe('1.0.1');
  });

  it('a download the agent is killed in resumes with them after the restart; then no file keeps them', async () => {
    const body = release('2.0.0', { extra: [{ path: 'app/padding.bin', body: randomBytes(400_000) }] });
    const uri = guarded('2.0.0', { bytesPerSecond: 100_000 }, body);
    await cmd('write', { path: `/9/${iid}/3`, value: uri });
    await waitFor('some bytes', () => mqtt.events('deploy/app').some((e) => e.version === '2.0.0' && Number(e.bytes) > 0), 20_000);
    // While the download may need them, they are in their own file, nowhere else on disk.
    expect(filesHolding(dataDir, PASSWORD).map((f) => f.slice(dataDir.length))).toEqual([expect.stringMatching(/^\/deploy\/credentials\/[0-9a-f-]+\.json$/)]);
    agent.child.kill('SIGKILL');
    seenLogs.push(...agent.logs());
    await agent.stop();
    await mqtt.close();
    artifacts.files.get('/app-2.0.0.tgz')!.bytesPerSecond = undefined;
    const from = artifacts.requests.length;
    await boot();
    await waitFor('DELIVERED after the restart', async () => {
      const list = (await mqtt.request('services.deployments', { name: 'app' })).result as { deployments: Array<{ version: string; state: string }> };
      return list.deployments.some((d) => d.version === '2.0.0' && d.state === 'DELIVERED');
    }, 30_000);
    const resumed = artifacts.requests.slice(from).filter((r) => r.path === '/app-2.0.0.tgz');
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((r) => r.authorization === basic && r.range !== undefined)).toBe(true);
    expect(existsSync(join(dataDir, 'deploy', 'credentials'))).toBe(true);
    expect(readdirSync(join(dataDir, 'deploy', 'credentials'))).toEqual([]);
    expect(filesHolding(dataDir, PASSWORD)).toEqual([]);
  });

  it('no reply, event or log line ever carried them', async () => {
    const list = JSON.stringify((await mqtt.request('services.deployments', {})).result);
    expect(list).not.toContain(PASSWORD);
    for (const m of mqtt.messages) expect(m.payload.toString('utf8')).not.toContain(PASSWORD);
    for (const line of [...seenLogs, ...agent.logs()]) expect(JSON.stringify(line)).not.toContain(PASSWORD);
    expect(filesHolding(dataDir, PASSWORD)).toEqual([]);
  });
});
