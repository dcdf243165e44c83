// What the object 9 tests share: lwm2m-node-lib in its own process as the server, a real HTTP artifact server,
// the agent as a real process from its bin (bootable again on its data directory), a registered test service
// `app` and its object 9 instance, and the server's commands on that instance.
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { Lwm2mServerProcess, PIGGYBACK_ONLY } from '../lwm2m/fixtures/server-process.js';
import { ArtifactServer } from './artifact-server.js';
import { appRegistration } from './deploy-rig.js';

export interface SoftwareRigOptions {
  ep: string;
  deploy?: Record<string, unknown>;
  /** Added to the agent's `lwm2m` section (NoSec, with `noSecPackageDigest` unless overridden). */
  lwm2m?: Record<string, unknown>;
}

export class SoftwareRig {
  server!: Lwm2mServerProcess;
  artifacts!: ArtifactServer;
  agent!: AgentProcess;
  mqtt!: MqttRequester;
  appPort = 0;
  /** The UDP port the agent's LwM2M client listens on (the current boot's). */
  coapPort = 0;
  /** `app`'s instance of object 9. */
  iid = 0;
  readonly dataDir = tempDir('sma-obj9-');

  private constructor(private readonly o: SoftwareRigOptions) {}

  static async start(o: SoftwareRigOptions): Promise<SoftwareRig> {
    const rig = new SoftwareRig(o);
    try {
      rig.server = await Lwm2mServerProcess.start();
      rig.artifacts = await ArtifactServer.start();
      rig.appPort = await freePort();
      await rig.boot();
      await rig.server.waitFor((e) => e.event === 'registration' && e.ep === o.ep);
      const from = rig.server.events.length;
      const reg = await rig.mqtt.request('registry.register', appRegistration('app', rig.appPort));
      rig.iid = (reg.result as { instanceId: number }).instanceId;
      await rig.server.waitFor((e) => e.event === 'update' && String(e.payload).includes(`</9/${rig.iid}>`), from);
      return rig;
    } catch (err) {
      await rig.close();
      throw err;
    }
  }

  /** Starts the agent (again, after a kill: same data directory) with its requester. */
  async boot(): Promise<void> {
    this.coapPort = await freeUdpPort();
    this.agent = await startAgent(
      {
        agent: { id: this.o.ep },
        executor: 'process',
        health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
        deploy: { gate: { healthyForMs: 800, timeoutMs: 15_000 }, ...this.o.deploy },
        lwm2m: { serverUri: `coap://127.0.0.1:${this.server.port}`, lifetimeS: 60, localPort: this.coapPort, noSecPackageDigest: true, ...PIGGYBACK_ONLY, ...this.o.lwm2m },
      },
      { dataDir: this.dataDir },
    );
    this.mqtt = await MqttRequester.forAgent(this.agent);
  }

  /** A server command on the device. */
  cmd(c: string, args: Record<string, unknown>): Promise<unknown> {
    return this.server.command(c, { ep: this.o.ep, ...args });
  }

  /** A resource of `app`'s instance, as text. */
  async read(r: number): Promise<string> {
    return String(await this.cmd('read', { path: `/9/${this.iid}/${r}` }));
  }

  /** Update State and Update Result, `7/9`. */
  async stateAndResult(): Promise<string> {
    return `${await this.read(7)}/${await this.read(9)}`;
  }

  until(want: string, timeoutMs = 20_000): Promise<unknown> {
    return waitFor(`state/result ${want}`, async () => (await this.stateAndResult()) === want, timeoutMs);
  }

  async close(): Promise<void> {
    await this.mqtt?.close();
    await this.agent?.stop();
    await this.server?.stop();
    await this.artifacts?.close();
    if (this.appPort) killAll(`--port ${this.appPort}`);
  }
}
