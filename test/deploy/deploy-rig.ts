// What the deployment tests share: an agent process, its MQTT requester, a registered test service and helpers
// that deploy and wait for a deployment's end.
import { expect } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';
import { ArtifactServer } from './artifact-server.js';

export const FINAL = new Set(['DONE', 'ROLLED_BACK', 'FAILED']);

export function appRegistration(name: string, port: number): Record<string, unknown> {
  return {
    name,
    check: { type: 'http', url: `http://127.0.0.1:${port}/health`, intervalMs: 200 },
    start: { command: process.execPath, args: ['app/app.js', '--port', String(port), '--release', '{version}'] },
  };
}

export interface Rig {
  server: ArtifactServer;
  /** The test service's port, and the argument that finds its processes (`--port {appPort}`). */
  appPort: number;
  agent: AgentProcess;
  mqtt: MqttRequester;
}

/** An artifact server, a free port for the test service, the agent (its bin) with a requester, `app` registered. */
export async function startRig(config: Record<string, unknown>, options: { dataDir?: string; login?: { username: string; password: string } } = {}): Promise<Rig> {
  const rig: Partial<Rig> = {};
  try {
    rig.server = await ArtifactServer.start();
    rig.appPort = await freePort();
    rig.agent = await startAgent(config, options);
    rig.mqtt = options.login ? await MqttRequester.connect(`mqtt://127.0.0.1:${rig.agent.mqttPort}`, rig.agent.topicRoot, options.login) : await MqttRequester.forAgent(rig.agent);
    expect((await rig.mqtt.request('registry.register', appRegistration('app', rig.appPort))).ok).toBe(true);
    return rig as Rig;
  } catch (err) {
    await stopRig(rig);
    throw err;
  }
}

/** Stops what startRig started (and a sampler), then whatever process of the test service is still running. */
export async function stopRig(rig: Partial<Rig> & { sampler?: ProcessSampler }): Promise<void> {
  rig.sampler?.stop();
  await rig.mqtt?.close();
  await rig.agent?.stop();
  await rig.server?.close();
  if (rig.appPort) killAll(`--port ${rig.appPort}`);
}

export async function deploy(mqtt: MqttRequester, body: Record<string, unknown>): Promise<string> {
  const reply = await mqtt.request('services.deploy', body);
  expect(reply.error).toBeUndefined();
  return (reply.result as { deploymentId: string }).deploymentId;
}

/** The events of one deployment, in order. */
export const eventsOf = (mqtt: MqttRequester, name: string, deploymentId: string): Array<Record<string, unknown>> =>
  mqtt.events(`deploy/${name}`).filter((e) => e.deploymentId === deploymentId);

export async function finalEvent(mqtt: MqttRequester, name: string, deploymentId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return waitFor(`deployment ${deploymentId} to end`, () => eventsOf(mqtt, name, deploymentId).find((e) => FINAL.has(String(e.state))), timeoutMs);
}

/** The version the service on `port` says it is, or undefined when nothing answers. */
export async function runningVersion(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    return ((await res.json()) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Samples the processes of a service (by its port argument) and records the most seen at once. */
export class ProcessSampler {
  most = 0;
  samples = 0;
  private timer: NodeJS.Timeout;

  constructor(needle: string, everyMs = 25) {
    this.timer = setInterval(() => {
      this.samples += 1;
      this.most = Math.max(this.most, pidsWithArg(needle).length);
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
