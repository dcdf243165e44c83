// Object 9's Update Supported Objects (8), Checkpoint (5) and Package Settings (13), against lwm2m-node-lib in
// its own process and the agent as a real process from its bin: 8 is false until written; written true, a
// successful install is followed at once by a Registration Update carrying the objects (false: none until the
// periodic one), and what was written holds across a restart of the agent on its data directory. 5 and 13 link to no
// object: they read 65535:65535, and 13 takes only that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { appRegistration, runningVersion } from './deploy-rig.js';
import { SoftwareRig } from './software-rig.js';
import { release, sha256Hex } from './tarball.js';

describe('object 9 Update Supported Objects, Checkpoint and Package Settings, against lwm2m-node-lib', { timeout: 90_000 }, () => {
  let rig: SoftwareRig;
  const EP = 'sw-announce-gw';
  const cmd = (c: string, args: Record<string, unknown>) => rig.cmd(c, args);
  const read = (r: number): Promise<string> => rig.read(r);
  const until = (want: string) => waitFor(`Update State ${want}`, async () => (await read(7)) === want, 30_000);
  const install = async (version: string): Promise<number> => {
    const body = release(version);
    rig.artifacts.files.set(`/app-${version}.tgz`, { body });
    await cmd('write', { path: `/9/${rig.iid}/3`, value: `${rig.artifacts.url(`/app-${version}.tgz`)}#sha256=${sha256Hex(body)}` });
    await until('3');
    const executed = rig.server.events.length;
    await cmd('execute', { path: `/9/${rig.iid}/4` });
    await until('4');
    expect(await runningVersion(rig.appPort)).toBe(version);
    return executed;
  };
  const updatesSince = (from: number) => rig.server.events.slice(from).filter((e) => e.event === 'update' && e.ep === EP);

  // A long lifetime: no periodic Update falls inside a test.
  beforeAll(async () => (rig = await SoftwareRig.start({ ep: EP, lwm2m: { lifetimeS: 600 } })));
  afterAll(async () => rig?.close());

  it('Checkpoint and Package Settings read as links to nothing; Package Settings takes only that', async () => {
    expect(await read(5)).toBe('65535:65535');
    expect(await read(13)).toBe('65535:65535');
    expect(await cmd('write', { path: `/9/${rig.iid}/13`, value: '65535:65535' })).toBe('');
    await expect(cmd('write', { path: `/9/${rig.iid}/13`, value: '3:0' })).rejects.toMatchObject({ code: '4.00' });
  });

  it('Update Supported Objects is false at first: an install is followed by no Update of its own', async () => {
    expect(await read(8)).toBe('0');
    const installing = await install('1.0.0');
    // The next Update would be the periodic one, minutes away: none within a few seconds.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(updatesSince(installing)).toEqual([]);
  });

  it('written true, each successful install is followed at once by an Update carrying the objects', async () => {
    expect(await cmd('write', { path: `/9/${rig.iid}/8`, value: '1' })).toBe('');
    expect(await read(8)).toBe('1');
    const installing = await install('2.0.0');
    const update = await rig.server.waitFor((e) => e.event === 'update' && e.ep === EP && String(e.payload).includes(`</9/${rig.iid}>`), installing);
    expect(String(update.payload)).toContain('</33000/');
    expect(await cmd('write', { path: `/9/${rig.iid}/8`, value: '0' })).toBe('');
    expect(await read(8)).toBe('0');
  });

  /** The agent stopped by `signal` and started again on its data directory, registered anew. */
  const restart = async (signal: NodeJS.Signals): Promise<void> => {
    const from = rig.server.events.length;
    if (signal === 'SIGKILL') rig.agent.child.kill('SIGKILL');
    await rig.agent.stop();
    await rig.mqtt.close();
    await rig.boot();
    await rig.server.waitFor((e) => e.event === 'registration' && e.ep === EP, from);
  };

  it('written true, it still holds after the agent is killed and started again; written false, that holds as well', async () => {
    expect(await cmd('write', { path: `/9/${rig.iid}/8`, value: '1' })).toBe('');
    // Killed right after the 2.04: the server was told the value is taken, so it is in the store already.
    await restart('SIGKILL');
    expect(await read(8)).toBe('1');
    const installing = await install('3.0.0');
    await rig.server.waitFor((e) => e.event === 'update' && e.ep === EP && String(e.payload).includes(`</9/${rig.iid}>`), installing);
    expect(await cmd('write', { path: `/9/${rig.iid}/8`, value: '0' })).toBe('');
    await restart('SIGTERM');
    expect(await read(8)).toBe('0');
  });

  it('a deregistered service takes its value along: registered again under the same name, it reads false, restarts included', async () => {
    expect(await cmd('write', { path: `/9/${rig.iid}/8`, value: '1' })).toBe('');
    const gone = rig.server.events.length;
    await rig.mqtt.request('registry.deregister', { name: 'app' });
    await rig.server.waitFor((e) => e.event === 'update' && e.ep === EP && !String(e.payload).includes(`</9/${rig.iid}>`), gone);
    const back = rig.server.events.length;
    const reg = await rig.mqtt.request('registry.register', appRegistration('app', rig.appPort));
    rig.iid = (reg.result as { instanceId: number }).instanceId;
    await rig.server.waitFor((e) => e.event === 'update' && e.ep === EP && String(e.payload).includes(`</9/${rig.iid}>`), back);
    expect(await read(8)).toBe('0');
    await restart('SIGTERM');
    expect(await read(8)).toBe('0');
  });
});
