// A process of a deployed version that no agent knows of (the agent was killed between spawning it and writing
// its child ledger: simulated here by removing the ledger after the kill) is stopped when the agent starts
// again, before the supervisor starts that version anew: one process of the service afterwards, never two.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import type { ArtifactServer } from './artifact-server.js';
import { deploy, finalEvent, runningVersion, startRig, stopRig } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

describe('processes of deployed versions left by a killed agent', () => {
  const dataDir = tempDir('sma-deploy-stray-');
  const config = { executor: 'process', health: { intervalMs: 200, retries: 2, restartDelayMs: 300 } };
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let server: ArtifactServer;
  let appPort: number;

  beforeAll(async () => {
    ({ server, appPort, agent, mqtt } = await startRig(config, { dataDir }));
    const body = release('v1');
    server.files.set('/v1.tgz', { body });
    const id = await deploy(mqtt, { name: 'app', version: 'v1', artifact: { url: server.url('/v1.tgz'), sha256: sha256Hex(body) }, gate: { healthyForMs: 300 } });
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
  });

  afterAll(() => stopRig({ mqtt, agent, server, appPort }));

  it('are stopped at the next start, and the version runs once', async () => {
    const [orphan] = pidsWithArg(`--port ${appPort}`);
    expect(orphan).toBeGreaterThan(0);
    agent.child.kill('SIGKILL');
    await agent.stop();
    await mqtt.close();
    // As if the kill had come before the ledger named the child.
    rmSync(join(dataDir, 'children.json'), { force: true });
    agent = await startAgent(config, { dataDir });
    mqtt = await MqttRequester.forAgent(agent);
    const [fresh] = await waitFor('v1 running again under the new agent', async () => {
      const pids = pidsWithArg(`--port ${appPort}`);
      return pids.length === 1 && pids[0] !== orphan && (await runningVersion(appPort)) === 'v1' ? pids : undefined;
    }, 20_000);
    expect(fresh).not.toBe(orphan);
    expect(() => process.kill(orphan, 0)).toThrow();
    expect(agent.logs().some((l) => String(l.msg).includes('left running by a previous agent'))).toBe(true);
  });
});
