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
import { waitFor } from '../support/wait-for.js';
import { ArtifactServer } from './artifact-server.js';
import { runningVersion } from './deploy-rig.js';
import { SoftwareRig } from './software-rig.js';
import { release, sha256Hex } from './tarball.js';

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
  let rig: SoftwareRig;
  let elsewhere: ArtifactServer;
  const seenLogs: Array<Record<string, unknown>> = [];

  const cmd = (c: string, args: Record<string, unknown>) => rig.cmd(c, args);
  const until = (want: string, timeoutMs?: number) => rig.until(want, timeoutMs);
  const guarded = (version: string, extra: Partial<{ bytesPerSecond: number }> = {}, body = release(version)): string => {
    rig.artifacts.files.set(`/app-${version}.tgz`, { body, basicAuth: { username: USER, password: PASSWORD }, ...extra });
    return `${rig.artifacts.url(`/app-${version}.tgz`)}#sha256=${sha256Hex(body)}`;
  };
  const writeCredentials = async (): Promise<void> => {
    expect(await cmd('write', { path: `/9/${rig.iid}/14`, value: USER })).toBe('');
    expect(await cmd('write', { path: `/9/${rig.iid}/15`, value: PASSWORD })).toBe('');
  };

  beforeAll(async () => {
    rig = await SoftwareRig.start({ ep: 'sw-cred-gw', lwm2m: { acceptFrom: 'any' } });
    elsewhere = await ArtifactServer.start();
  });

  afterAll(async () => {
    await rig?.close();
    await elsewhere?.close();
  });

  it('without credentials the artifact server refuses the download: INITIAL, 52', async () => {
    await cmd('write', { path: `/9/${rig.iid}/3`, value: guarded('1.0.0') });
    await until('0/52');
    expect(rig.artifacts.requests.filter((r) => r.path === '/app-1.0.0.tgz').every((r) => r.authorization === undefined)).toBe(true);
  });

  it('User Name and Password written before the URI get it: DELIVERED, then INSTALLED', async () => {
    await writeCredentials();
    const from = rig.artifacts.requests.length;
    await cmd('write', { path: `/9/${rig.iid}/3`, value: guarded('1.0.1') });
    await until('3/3');
    expect(rig.artifacts.requests.slice(from).filter((r) => r.path === '/app-1.0.1.tgz').map((r) => r.authorization)).toEqual([basic]);
    await cmd('execute', { path: `/9/${rig.iid}/4` });
    await until('4/2');
    expect(await runningVersion(rig.appPort)).toBe('1.0.1');
  });

  // lwm2m-node-lib will not even send a Read of a W resource; libcoap's coap-client-notls asks the agent itself
  // (which is why this agent takes requests from any peer: acceptFrom any).
  it.skipIf(!existsSync(COAP_CLIENT))('they are write-only: the agent answers a Read of either 4.05, and its instance read carries neither', async () => {
    const get = (path: string): Promise<{ out: string; err: string }> =>
      new Promise((resolve) => execFile(COAP_CLIENT, ['-m', 'get', '-A', '110', '-B', '5', `coap://127.0.0.1:${rig.coapPort}${path}`], (_e, out, err) => resolve({ out, err })));
    for (const r of [14, 15]) {
      const { out, err } = await get(`/9/${rig.iid}/${r}`);
      expect(`${out}${err}`).toContain('4.05');
    }
    const whole = await get(`/9/${rig.iid}`);
    expect(whole.out).toContain('"n":"0"');
    expect(`${whole.out}${whole.err}`).not.toContain(PASSWORD);
    expect(`${whole.out}${whole.err}`).not.toContain(USER);
  });

  it('a redirect to another origin gets no credentials (the download fails there: 52)', async () => {
    const body = release('1.0.2');
    elsewhere.files.set('/moved.tgz', { body, basicAuth: { username: USER, password: PASSWORD } });
    rig.artifacts.redirects.set('/app-1.0.2.tgz', elsewhere.url('/moved.tgz'));
    await cmd('write', { path: `/9/${rig.iid}/3`, value: `${rig.artifacts.url('/app-1.0.2.tgz')}#sha256=${sha256Hex(body)}` });
    await until('0/52');
    expect(rig.artifacts.requests.filter((r) => r.path === '/app-1.0.2.tgz').every((r) => r.authorization === basic)).toBe(true);
    expect(elsewhere.requests.length).toBeGreaterThan(0);
    expect(elsewhere.requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(await runningVersion(rig.appPort)).toBe('1.0.1');
  });

  it('an Install after a failed one fetches the package again with them (the journal keeps them out of its copy)', async () => {
    const uri = guarded('1.0.3', {}, Buffer.from('behind auth, and not a tar'));
    await cmd('write', { path: `/9/${rig.iid}/3`, value: uri });
    await until('3/3');
    await cmd('execute', { path: `/9/${rig.iid}/4` });
    await until('3/58');
    const from = rig.artifacts.requests.length;
    expect(await cmd('execute', { path: `/9/${rig.iid}/4` })).toBe('');
    await waitFor('fetched again', () => rig.artifacts.requests.slice(from).some((r) => r.path === '/app-1.0.3.tgz'), 20_000);
    expect(rig.artifacts.requests.slice(from).filter((r) => r.path === '/app-1.0.3.tgz').map((r) => r.authorization)).toEqual([basic]);
    await until('3/58');
    expect(await runningVersion(rig.appPort)).toBe('1.0.1');
  });

  it('a download the agent is killed in resumes with them after the restart; then no file keeps them', async () => {
    const body = release('2.0.0', { extra: [{ path: 'app/padding.bin', body: randomBytes(400_000) }] });
    const uri = guarded('2.0.0', { bytesPerSecond: 100_000 }, body);
    await cmd('write', { path: `/9/${rig.iid}/3`, value: uri });
    await waitFor('some bytes', () => rig.mqtt.events('deploy/app').some((e) => e.version === '2.0.0' && Number(e.bytes) > 0), 20_000);
    // While the download may need them, they are in their own file, nowhere else on disk.
    expect(filesHolding(rig.dataDir, PASSWORD).map((f) => f.slice(rig.dataDir.length))).toEqual([expect.stringMatching(/^\/deploy\/credentials\/[0-9a-f-]+\.json$/)]);
    rig.agent.child.kill('SIGKILL');
    seenLogs.push(...rig.agent.logs());
    await rig.agent.stop();
    await rig.mqtt.close();
    rig.artifacts.files.get('/app-2.0.0.tgz')!.bytesPerSecond = undefined;
    const from = rig.artifacts.requests.length;
    await rig.boot();
    await waitFor('DELIVERED after the restart', async () => {
      const list = (await rig.mqtt.request('services.deployments', { name: 'app' })).result as { deployments: Array<{ version: string; state: string }> };
      return list.deployments.some((d) => d.version === '2.0.0' && d.state === 'DELIVERED');
    }, 30_000);
    const resumed = rig.artifacts.requests.slice(from).filter((r) => r.path === '/app-2.0.0.tgz');
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((r) => r.authorization === basic && r.range !== undefined)).toBe(true);
    expect(existsSync(join(rig.dataDir, 'deploy', 'credentials'))).toBe(true);
    expect(readdirSync(join(rig.dataDir, 'deploy', 'credentials'))).toEqual([]);
    expect(filesHolding(rig.dataDir, PASSWORD)).toEqual([]);
  });

  it('no reply, event or log line ever carried them', async () => {
    const list = JSON.stringify((await rig.mqtt.request('services.deployments', {})).result);
    expect(list).not.toContain(PASSWORD);
    for (const m of rig.mqtt.messages) expect(m.payload.toString('utf8')).not.toContain(PASSWORD);
    for (const line of [...seenLogs, ...rig.agent.logs()]) expect(JSON.stringify(line)).not.toContain(PASSWORD);
    expect(filesHolding(rig.dataDir, PASSWORD)).toEqual([]);
  });
});
