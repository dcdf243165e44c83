// A rule's restart (CONTRACT section 15) of a service whose deployment is under way is refused like an
// operator's (README "Deployments", "A deployment owns its service"): the agent as a real process from its bin,
// a rule that fires a second after the new release is first sampled, within its gate. The rule's action is
// logged as failed with CONFLICT, the release keeps its process and passes its gate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { deploy, eventsOf, finalEvent, runningVersion, startRig, stopRig, type Rig } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

describe('a rule\'s restart during a deployment', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({
      executor: 'process',
      health: { intervalMs: 200, retries: 2, restartDelayMs: 300 },
      watch: { intervalMs: 1_000 },
      // Any process uses more than a byte: the rule fires a second after `app` is first sampled running.
      rules: [{ name: 'always', service: 'app', metric: 'memoryBytes', above: 1, forMs: 1_000, action: 'restart', maxActions: 5, actionWindowMs: 600_000 }],
    });
  });

  afterAll(async () => {
    await stopRig(rig ?? {});
  });

  it('is refused with CONFLICT while GATING (logged as the rule\'s failed action); the release passes its gate on its first process', async () => {
    const { server, mqtt, agent, appPort } = rig;
    const body = release('v1');
    server.files.set('/v1.tgz', { body });
    const id = await deploy(mqtt, { name: 'app', version: 'v1', artifact: { url: server.url('/v1.tgz'), sha256: sha256Hex(body) }, gate: { healthyForMs: 8_000, timeoutMs: 30_000 } });
    await waitFor('GATING', () => eventsOf(mqtt, 'app', id).some((e) => e.state === 'GATING'), 20_000);
    const [pid] = pidsWithArg(`--port ${appPort}`);
    const failed = await waitFor('the rule\'s action refused', () => agent.logs().find((l) => l.msg === 'rule action failed' && l.service === 'app'), 15_000);
    expect(String(failed.err)).toContain(`CONFLICT: app has a deployment in progress (${id}, GATING)`);
    expect(eventsOf(mqtt, 'app', id).some((e) => e.state === 'DONE' || e.state === 'ROLLING_BACK')).toBe(false);
    expect(await finalEvent(mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    expect(pidsWithArg(`--port ${appPort}`)).toEqual([pid]);
    expect(await runningVersion(appPort)).toBe('v1');
  });
});
