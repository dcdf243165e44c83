// Object 9's Update Supported Objects (8), Checkpoint (5) and Package Settings (13), against lwm2m-node-lib in
// its own process and the agent as a real process from its bin: 8 is false until written; written true, a
// successful install is followed at once by a Registration Update carrying the objects (false: none until the
// periodic one). 5 and 13 link to no object: they read 65535:65535, and 13 takes only that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { Lwm2mServerProcess } from '../lwm2m/fixtures/server-process.js';
import { ArtifactServer } from './artifact-server.js';
import { appRegistration, runningVersion } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

const EP = 'sw-announce-gw';

describe('object 9 Update Supported Objects, Checkpoint and Package Settings, against lwm2m-node-lib', { timeout: 90_000 }, () => {
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let artifacts: ArtifactServer;
  let appPort: number;
  let iid: number;

  const cmd = (c: string, args: Record<string, unknown>) => server.command(c, { ep: EP, ...args });
  const read = async (r: number): Promise<string> => String(await cmd('read', { path: `/9/${iid}/${r}` }));
  const until = (want: string) => waitFor(`Update State ${want}`, async () => (await read(7)) === want, 30_000);
  const install = async (version: string): Promise<number> => {
    const body = release(version);
    artifacts.files.set(`/app-${version}.tgz`, { body });
    await cmd('write', { path: `/9/${iid}/3`, value: `${artifacts.url(`/app-${version}.tgz`)}#sha256=${sha256Hex(body)}` });
    await until('3');
    const executed = server.events.length;
    await cmd('execute', { path: `/9/${iid}/4` });
    await until('4');
    expect(await runningVersion(appPort)).toBe(version);
    return executed;
  };
  const updatesSince = (from: number) => server.events.slice(from).filter((e) => e.event === 'update' && e.ep === EP);

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    artifacts = await ArtifactServer.start();
    appPort = await freePort();
    agent = await startAgent({
      agent: { id: EP },
      executor: 'process',
      health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
      deploy: { gate: { healthyForMs: 800, timeoutMs: 15_000 } },
      // A long lifetime: no periodic Update falls inside a test.
      lwm2m: { serverUri: `coap://127.0.0.1:${server.port}`, lifetimeS: 600, localPort: await freeUdpPort(), noSecPackageDigest: true },
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

  it('Checkpoint and Package Settings read as links to nothing; Package Settings takes only that', async () => {
    expect(await read(5)).toBe('65535:65535');
    expect(await read(13)).toBe('65535:65535');
    expect(await cmd('write', { path: `/9/${iid}/13`, value: '65535:65535' })).toBe('');
    await expect(cmd('write', { path: `/9/${iid}/13`, value: '3:0' })).rejects.toMatchObject({ code: '4.00' });
  });

  it('Update Supported Objects is false at first: an install is followed by no Update of its own', async () => {
    expect(await read(8)).toBe('0');
    const installing = await install('1.0.0');
    // The next Update would be the periodic one, minutes away: none within a few seconds.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(updatesSince(installing)).toEqual([]);
  });

  it('written true, each successful install is followed at once by an Update carrying the objects', async () => {
    expect(await cmd('write', { path: `/9/${iid}/8`, value: '1' })).toBe('');
    expect(await read(8)).toBe('1');
    const installing = await install('2.0.0');
    const update = await server.waitFor((e) => e.event === 'update' && e.ep === EP && String(e.payload).includes(`</9/${iid}>`), installing);
    expect(String(update.payload)).toContain('</33000/');
    expect(await cmd('write', { path: `/9/${iid}/8`, value: '0' })).toBe('');
    expect(await read(8)).toBe('0');
  });
});
