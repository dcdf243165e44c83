// LwM2M object 9 over NoSec: the server is known only by its UDP address and port, which anyone on the path can
// spoof, and a Package URI with its own #sha256 deploys whatever that digest names, run as root. Without
// `lwm2m.noSecPackageDigest` such a write is refused with 4.03 and nothing is downloaded or deployed. Against
// lwm2m-node-lib as the server and the agent as a real process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from '../lwm2m/fixtures/server-process.js';
import { ArtifactServer } from '../deploy/artifact-server.js';
import { appRegistration } from '../deploy/deploy-rig.js';
import { release, sha256Hex } from '../deploy/tarball.js';

const EP = 'nosec-sw-gw';

describe('object 9 Package URI with a digest over NoSec', () => {
  let server: Lwm2mServerProcess;
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let artifacts: ArtifactServer;
  let iid: number;

  beforeAll(async () => {
    server = await Lwm2mServerProcess.start();
    artifacts = await ArtifactServer.start();
    agent = await startAgent({ agent: { id: EP }, executor: 'process', lwm2m: { ...PIGGYBACK_ONLY, serverUri: `coap://127.0.0.1:${server.port}`, lifetimeS: 60, localPort: await freeUdpPort() } });
    mqtt = await MqttRequester.forAgent(agent);
    await server.waitFor((e) => e.event === 'registration' && e.ep === EP);
    const from = server.events.length;
    const reg = await mqtt.request('registry.register', appRegistration('app', await freePort()));
    iid = (reg.result as { instanceId: number }).instanceId;
    await server.waitFor((e) => e.event === 'update' && String(e.payload).includes(`</9/${iid}>`), from);
  }, 60_000);

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await server?.stop();
    await artifacts?.close();
  });

  it('refuses the write with 4.03: nothing downloaded, no deployment', async () => {
    const body = release('6.6.6');
    artifacts.files.set('/app-6.6.6.tgz', { body });
    const uri = `${artifacts.url('/app-6.6.6.tgz')}#sha256=${sha256Hex(body)}`;
    await expect(server.command('write', { ep: EP, path: `/9/${iid}/3`, value: uri })).rejects.toMatchObject({ code: '4.03' });
    const list = (await mqtt.request('services.deployments', { name: 'app' })).result as { deployments: unknown[] };
    expect(list.deployments).toEqual([]);
    expect(artifacts.requests).toEqual([]);
  });

  it('refuses User Name and Password with 4.03 (they would cross in clear, from a server anyone could pose as): a signed URI goes without them', async () => {
    await expect(server.command('write', { ep: EP, path: `/9/${iid}/14`, value: 'deployer' })).rejects.toMatchObject({ code: '4.03' });
    await expect(server.command('write', { ep: EP, path: `/9/${iid}/15`, value: 'secret-pw' })).rejects.toMatchObject({ code: '4.03' });
    artifacts.files.set('/app-7.0.0.tgz', { body: release('7.0.0') });
    expect(await server.command('write', { ep: EP, path: `/9/${iid}/3`, value: artifacts.url('/app-7.0.0.tgz') })).toBe('');
    await waitFor('the download', () => artifacts.requests.some((r) => r.path === '/app-7.0.0.tgz'), 10_000);
    expect(artifacts.requests.filter((r) => r.path === '/app-7.0.0.tgz').every((r) => r.authorization === undefined)).toBe(true);
  });
});
