// Object 9's Update State and Update Result after each kind of failure, as OMA's Software Management object
// defines them, driven by lwm2m-node-lib in its own process against the agent as a real process, a real HTTP
// artifact server and a real child service:
//   download failure: INITIAL, 52; integrity failure: INITIAL, 53;
//   install failure (unpacking, or a gate failed and rolled back): DELIVERED stays, 58, and Install may be
//   executed again (the package fetched anew), INSTALLED when it works;
//   an Uninstall that fails: the state stays, 59; Uninstall "for update": INITIAL, 0, and nothing left to install;
//   an operator's rollback: INSTALLED, 2, PkgVersion the previous version.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { deploy, eventsOf, finalEvent, runningVersion } from './deploy-rig.js';
import { SoftwareRig } from './software-rig.js';
import { release, sha256Hex } from './tarball.js';

// Generous per test: each waits on several deployments, which a loaded machine slows down.
describe('object 9 after failures, against lwm2m-node-lib', { timeout: 90_000 }, () => {
  let rig: SoftwareRig;
  const dir = mkdtempSync(join(tmpdir(), 'sma-obj9-'));
  const marker = join(dir, 'fail-to-start');

  const cmd = (c: string, args: Record<string, unknown>) => rig.cmd(c, args);
  const read = (r: number): Promise<string> => rig.read(r);
  const stateAndResult = (): Promise<string> => rig.stateAndResult();
  const until = (want: string, timeoutMs?: number) => rig.until(want, timeoutMs);
  const serve = (version: string, body: Buffer): string => {
    rig.artifacts.files.set(`/app-${version}.tgz`, { body });
    return `${rig.artifacts.url(`/app-${version}.tgz`)}#sha256=${sha256Hex(body)}`;
  };
  const notified = (r: number, value: string, from: number) =>
    rig.server.waitFor((e) => e.event === 'notify' && e.path === `/9/${rig.iid}/${r}` && String(e.value) === value, from);

  beforeAll(async () => {
    rig = await SoftwareRig.start({ ep: 'sw-fail-gw', deploy: { gate: { healthyForMs: 800, timeoutMs: 4_000 } } });
    // 1.0.0 installed through the object: what every failure below must leave running.
    await cmd('write', { path: `/9/${rig.iid}/3`, value: serve('1.0.0', release('1.0.0')) });
    await until('3/3');
    await cmd('execute', { path: `/9/${rig.iid}/4` });
    await until('4/2');
  });

  afterAll(async () => {
    await rig?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a download that fails (404): INITIAL with 52 (connection lost during download)', async () => {
    await cmd('write', { path: `/9/${rig.iid}/3`, value: `${rig.artifacts.url('/gone-2.0.0.tgz')}#sha256=${'cd'.repeat(32)}` });
    await until('0/52');
    expect(await runningVersion(rig.appPort)).toBe('1.0.0');
  });

  it('a package that fails its integrity check: INITIAL with 53', async () => {
    const uri = serve('2.0.1', release('2.0.1')).replace(/#sha256=.*/, `#sha256=${'ab'.repeat(32)}`);
    await cmd('write', { path: `/9/${rig.iid}/3`, value: uri });
    await until('0/53');
  });

  it('an Install whose unpacking fails stays DELIVERED with 58 (observed); 1.0.0 runs on', async () => {
    expect(await cmd('observe', { path: `/9/${rig.iid}/9` })).toBe('53');
    await cmd('write', { path: `/9/${rig.iid}/3`, value: serve('2.0.2', Buffer.from('not a gzip tar at all')) });
    await until('3/3');
    const from = rig.server.events.length;
    expect(await cmd('execute', { path: `/9/${rig.iid}/4` })).toBe('');
    await notified(9, '58', from);
    expect(await read(7)).toBe('3');
    expect(await runningVersion(rig.appPort)).toBe('1.0.0');
    expect(await read(1)).toBe('1.0.0');
  });

  it('an Install whose gate fails is rolled back: DELIVERED, 58; Install again once the cause is gone: INSTALLED, 2', async () => {
    writeFileSync(marker, '');
    await cmd('write', { path: `/9/${rig.iid}/3`, value: serve('3.0.0', release('3.0.0', { failIfExists: marker })) });
    await until('3/3');
    await cmd('execute', { path: `/9/${rig.iid}/4` });
    await until('3/58', 30_000);
    await waitFor('1.0.0 back', async () => (await runningVersion(rig.appPort)) === '1.0.0', 10_000);
    const failed = (await rig.mqtt.request('services.deployments', { name: 'app' })).result as { deployments: Array<{ state: string; version: string }> };
    expect(failed.deployments.at(-1)).toMatchObject({ version: '3.0.0', state: 'ROLLED_BACK' });
    rmSync(marker);
    const fetched = rig.artifacts.requests.length;
    expect(await cmd('execute', { path: `/9/${rig.iid}/4` })).toBe('');
    // Installing again: DELIVERED until it is installed (the package fetched anew), never DOWNLOAD STARTED (1) or DOWNLOADED (2).
    const states = new Set<string>();
    await waitFor('INSTALLED', async () => {
      const state = await read(7);
      states.add(state);
      return state === '4';
    }, 30_000);
    expect([...states].filter((s) => s !== '3' && s !== '4')).toEqual([]);
    expect(await read(9)).toBe('2');
    expect(rig.artifacts.requests.slice(fetched).map((r) => r.path)).toContain('/app-3.0.0.tgz');
    expect(await runningVersion(rig.appPort)).toBe('3.0.0');
    expect(await read(1)).toBe('3.0.0');
  }, 90_000);

  it('Uninstall for update after a failed Install: INITIAL, 0, and Install has nothing left to install', async () => {
    await cmd('write', { path: `/9/${rig.iid}/3`, value: serve('4.0.0', Buffer.from('still not a tar')) });
    await until('3/3');
    await cmd('execute', { path: `/9/${rig.iid}/4` });
    await until('3/58');
    const from = rig.server.events.length;
    expect(await cmd('execute', { path: `/9/${rig.iid}/6`, value: '1' })).toBe('');
    await notified(9, '0', from);
    expect(await stateAndResult()).toBe('0/0');
    await expect(cmd('execute', { path: `/9/${rig.iid}/4` })).rejects.toMatchObject({ code: '4.04' });
    expect(await runningVersion(rig.appPort)).toBe('3.0.0');
  });

  it('an Uninstall that fails (the service cannot be removed while a deployment is under way) leaves the state and reads 59; the deployment ends INSTALLED, 2', async () => {
    const body = release('5.0.0');
    rig.artifacts.files.set('/app-5.0.0.tgz', { body });
    const id = await deploy(rig.mqtt, { name: 'app', version: '5.0.0', artifact: { url: rig.artifacts.url('/app-5.0.0.tgz'), sha256: sha256Hex(body) }, gate: { healthyForMs: 4_000, timeoutMs: 30_000 } });
    await waitFor('GATING', () => eventsOf(rig.mqtt, 'app', id).some((e) => e.state === 'GATING'), 20_000);
    // No argument: remove the package (deregister the service), refused while its deployment runs.
    await expect(cmd('execute', { path: `/9/${rig.iid}/6` })).rejects.toMatchObject({ code: '4.00' });
    expect(await stateAndResult()).toBe('3/59');
    expect(await finalEvent(rig.mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    await until('4/2');
  });

  it("an operator's rollback: INSTALLED, 2, PkgVersion the version rolled back to", async () => {
    const reply = await rig.mqtt.request('services.rollback', { name: 'app' });
    expect(reply.error).toBeUndefined();
    const id = (reply.result as { deploymentId: string }).deploymentId;
    expect(await finalEvent(rig.mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    expect(await stateAndResult()).toBe('4/2');
    expect(await read(1)).toBe('3.0.0');
    expect(existsSync(marker)).toBe(false);
  });
});
