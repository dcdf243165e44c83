// Object 9 (LwM2M Software Management) driven by an LwM2M server we did not write: lwm2m-node-lib in its own
// process, the agent as a real process from its bin, a real HTTP artifact server and a real child service.
// Writing Package URI (#sha256=...) downloads and verifies: Update State reaches DELIVERED (3), observed;
// Execute Install switches: INSTALLED (4), result 2, the new version running and PkgVersion saying so; a
// wrong digest ends with result 53; a URI without a digest is refused (4.00) with result 56; Deactivate and
// Activate stop and start the service; while a deployment is under way they (and Uninstall) are refused; Uninstall
// "for update" while a package downloads cancels the download.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from '../lwm2m/fixtures/server-process.js';
import { ArtifactServer } from './artifact-server.js';
import { appRegistration, deploy, eventsOf, finalEvent, runningVersion } from './deploy-rig.js';
import { release, sha256Hex, signingKey } from './tarball.js';

const EP = 'sw-gw';

describe('object 9 bound to deployments, against lwm2m-node-lib', () => {
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let artifacts: ArtifactServer;
  let appPort: number;
  let iid: number;
  const key = signingKey();
  const stranger = signingKey();

  const cmd = (c: string, args: Record<string, unknown>) => server.command(c, { ep: EP, ...args });
  const read = async (r: number): Promise<string> => String(await cmd('read', { path: `/9/${iid}/${r}` }));
  const packageUri = (version: string, digest?: string): string => {
    const body = release(version);
    artifacts.files.set(`/app-${version}.tgz`, { body });
    return `${artifacts.url(`/app-${version}.tgz`)}#sha256=${digest ?? sha256Hex(body)}`;
  };
  const notified = (r: number, value: string, from: number) =>
    server.waitFor((e) => e.event === 'notify' && e.path === `/9/${iid}/${r}` && String(e.value) === value, from);

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    artifacts = await ArtifactServer.start();
    appPort = await freePort();
    agent = await startAgent({
      agent: { id: EP },
      executor: 'process',
      health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
      deploy: { gate: { healthyForMs: 800, timeoutMs: 15_000 }, trustedKeys: [key.publicPem] },
      // NoSec with Package URIs that carry their own digest: the opt-in (test/security/lwm2m-nosec-software.test.ts covers its absence).
      lwm2m: { ...PIGGYBACK_ONLY, serverUri: `coap://127.0.0.1:${server.port}`, lifetimeS: 60, localPort: await freeUdpPort(), noSecPackageDigest: true },
    });
    mqtt = await MqttRequester.forAgent(agent);
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
    killAll(`--port ${appPort}`);
  });

  it('an instance per service: PkgName is the service, nothing installed yet', async () => {
    expect(await read(0)).toBe('app');
    expect(await read(7)).toBe('0');
    expect(await read(9)).toBe('0');
    expect(await read(12)).toBe('0');
  });

  it('writing Package URI downloads and verifies: Update State DELIVERED (observed), result 3, nothing switched', async () => {
    expect(await cmd('observe', { path: `/9/${iid}/7` })).toBe('0');
    const from = server.events.length;
    expect(await cmd('write', { path: `/9/${iid}/3`, value: packageUri('1.0.0') })).toBe('');
    await notified(7, '3', from);
    expect(await read(9)).toBe('3');
    expect(await runningVersion(appPort)).toBeUndefined();
  });

  it('Execute Install switches with the gate: INSTALLED, result 2, 1.0.0 running, PkgVersion 1.0.0', async () => {
    const from = server.events.length;
    expect(await cmd('execute', { path: `/9/${iid}/4` })).toBe('');
    await notified(7, '4', from);
    expect(await read(9)).toBe('2');
    expect(await read(1)).toBe('1.0.0');
    expect(await runningVersion(appPort)).toBe('1.0.0');
    expect(await read(12)).toBe('1');
  });

  it('a package whose digest does not match ends with result 53; 1.0.0 runs on', async () => {
    expect(await cmd('observe', { path: `/9/${iid}/9` })).toBe('2');
    const from = server.events.length;
    expect(await cmd('write', { path: `/9/${iid}/3`, value: packageUri('2.0.0', 'ab'.repeat(32)) })).toBe('');
    await notified(9, '53', from);
    expect(await read(7)).toBe('0');
    expect(await runningVersion(appPort)).toBe('1.0.0');
  });

  it('a Package URI without a digest needs a trusted signature at URI.sig: a stranger\'s ends 53, a trusted one DELIVERED', async () => {
    const signed = (version: string, signer: ReturnType<typeof signingKey>): string => {
      const body = release(version);
      artifacts.files.set(`/app-${version}.tgz`, { body });
      artifacts.files.set(`/app-${version}.tgz.sig`, { body: Buffer.from(signer.signDigest(body)) });
      return artifacts.url(`/app-${version}.tgz`);
    };
    let from = server.events.length;
    expect(await cmd('write', { path: `/9/${iid}/3`, value: signed('3.0.0', stranger) })).toBe('');
    await waitFor('result 53', async () => (await read(9)) === '53', 10_000);
    from = server.events.length;
    expect(await cmd('write', { path: `/9/${iid}/3`, value: signed('3.0.1', key) })).toBe('');
    await notified(7, '3', from);
    expect(await read(9)).toBe('3');
    // Uninstall "for update" drops the delivered package: INITIAL again, 1.0.0 untouched.
    expect(await cmd('execute', { path: `/9/${iid}/6`, value: '1' })).toBe('');
    expect(await read(7)).toBe('0');
    expect(await runningVersion(appPort)).toBe('1.0.0');
  });

  it('a Package URI that is no http(s) URI is refused with 4.00 and result 56', async () => {
    await expect(cmd('write', { path: `/9/${iid}/3`, value: 'ftp://127.0.0.1/app-3.0.0.tgz' })).rejects.toMatchObject({ code: '4.00' });
    expect(await read(9)).toBe('56');
  });

  it('Deactivate stops the service and Activate starts it again', async () => {
    expect(await cmd('execute', { path: `/9/${iid}/11` })).toBe('');
    await waitFor('stopped', async () => (await runningVersion(appPort)) === undefined, 10_000);
    expect(await read(12)).toBe('0');
    expect(await cmd('execute', { path: `/9/${iid}/10` })).toBe('');
    await waitFor('running again', async () => (await runningVersion(appPort)) === '1.0.0', 10_000);
  });

  it('while a deployment is under way, Deactivate, 33000 Stop and Uninstall are refused with 4.00 naming it; it ends INSTALLED', async () => {
    const body = release('4.0.0');
    artifacts.files.set('/app-4.0.0.tgz', { body });
    const artifact = { url: artifacts.url('/app-4.0.0.tgz'), sha256: sha256Hex(body) };
    const id = await deploy(mqtt, { name: 'app', version: '4.0.0', artifact, gate: { healthyForMs: 4_000, timeoutMs: 30_000 } });
    await waitFor('GATING', () => eventsOf(mqtt, 'app', id).some((e) => e.state === 'GATING'), 20_000);
    await expect(cmd('execute', { path: `/9/${iid}/11` })).rejects.toMatchObject({ code: '4.00' });
    await expect(cmd('execute', { path: `/33000/${iid}/4` })).rejects.toMatchObject({ code: '4.00' });
    expect(await cmd('read', { path: `/33000/${iid}/12` })).toMatch(new RegExp(`^stop CONFLICT: app has a deployment in progress \\(${id}, GATING\\)`));
    await expect(cmd('execute', { path: `/9/${iid}/6` })).rejects.toMatchObject({ code: '4.00' });
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    expect(await runningVersion(appPort)).toBe('4.0.0');
    expect(await read(1)).toBe('4.0.0');
    expect(await read(7)).toBe('4');
  });

  it('Uninstall 1 while the package downloads cancels it: INITIAL (0, result 0) at once, the deployment FAILED with INTERRUPTED by the server; 4.0.0 runs on', async () => {
    const body = release('5.0.0', { extra: [{ path: 'app/padding.bin', body: randomBytes(60_000) }] });
    // 4 000 bytes a second: the download alone would take some fifteen seconds.
    artifacts.files.set('/app-5.0.0.tgz', { body, bytesPerSecond: 4_000 });
    let from = server.events.length;
    expect(await cmd('write', { path: `/9/${iid}/3`, value: `${artifacts.url('/app-5.0.0.tgz')}#sha256=${sha256Hex(body)}` })).toBe('');
    await notified(7, '1', from);
    from = server.events.length;
    const t0 = Date.now();
    expect(await cmd('execute', { path: `/9/${iid}/6`, value: '1' })).toBe('');
    await notified(7, '0', from);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await read(9)).toBe('0');
    const latest = ((await mqtt.request('services.deployments', { name: 'app' })).result as { deployments: Array<Record<string, unknown>> }).deployments.at(-1);
    expect(latest).toMatchObject({ version: '5.0.0', state: 'FAILED', error: { code: 'INTERRUPTED', message: 'cancelled by lwm2m-server' }, cancelledBy: 'lwm2m-server' });
    // Cut while downloading, not a delivered package dropped.
    expect(eventsOf(mqtt, 'app', String(latest?.deploymentId)).find((e) => e.state === 'FAILED')).toMatchObject({ from: 'DOWNLOADING' });
    expect(await runningVersion(appPort)).toBe('4.0.0');
    expect(await read(1)).toBe('4.0.0');
  });
});
