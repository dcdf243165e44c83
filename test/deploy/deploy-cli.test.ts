// The deployment commands of the real bin (dist/main.js) against the agent as a process: deploy waits with a
// progress line (one line per state when not on a terminal) and exits 0 on DONE, 1 on FAILED with the error on
// stderr; --no-wait returns at acceptance; deployments lists; rollback switches back; cancel --no-wait answers
// at once, cancel of nothing exits 1; bad arguments exit 2.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type AgentProcess } from '../support/agent-process.js';
import { waitFor } from '../support/wait-for.js';
import type { ArtifactServer } from './artifact-server.js';
import { runningVersion, startRig, stopRig } from './deploy-rig.js';
import { release, sha256Hex } from './tarball.js';

const run = promisify(execFile);

describe('sma-bridge services deploy | deployments | rollback', () => {
  let agent: AgentProcess;
  let server: ArtifactServer;
  let appPort: number;

  const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args, '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', agent.agentId], { timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  const serve = (version: string, options: Parameters<typeof release>[1] = {}): string[] => {
    const body = release(version, options);
    server.files.set(`/${version}.tgz`, { body });
    return ['--url', server.url(`/${version}.tgz`), '--sha256', sha256Hex(body)];
  };

  beforeAll(async () => {
    const rig = await startRig({ executor: 'process', health: { intervalMs: 200, retries: 2, restartDelayMs: 300 } });
    ({ server, appPort, agent } = rig);
    await rig.mqtt.close();
  });

  afterAll(() => stopRig({ agent, server, appPort }));

  it('deploy waits with a progress line per state and exits 0 on DONE', async () => {
    const r = await cli('services', 'deploy', 'app', 'v1', ...serve('v1'), '--healthy-for', '500ms');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const states = r.stdout.trim().split('\n').map((l) => /^app v1: (\w+)/.exec(l)?.[1]);
    expect(states).toEqual(['DOWNLOADING', 'VERIFYING', 'INSTALLING', 'SWITCHING', 'GATING', 'DONE']);
    expect(await runningVersion(appPort)).toBe('v1');
  });

  it('--no-wait returns at acceptance with the deployment id; deployments shows it and the versions', async () => {
    const r = await cli('services', 'deploy', 'app', 'v2', ...serve('v2'), '--healthy-for', '500ms', '--no-wait', '--json');
    expect(r.code).toBe(0);
    const accepted = JSON.parse(r.stdout) as { deploymentId: string; state: string };
    expect(accepted.state).toBe('DOWNLOADING');
    await waitFor('v2 DONE', async () => {
      const list = JSON.parse((await cli('services', 'deployments', 'app', '--json')).stdout) as { deployments: Array<{ deploymentId: string; state: string }> };
      return list.deployments.find((d) => d.deploymentId === accepted.deploymentId)?.state === 'DONE';
    }, 20_000);
    const table = await cli('services', 'deployments', 'app');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/app: v2 \(previous v1\)/);
  });

  it('a failed deployment exits 1 with its error on stderr', async () => {
    const [, url] = serve('v3');
    const r = await cli('services', 'deploy', 'app', 'v3', '--url', url, '--sha256', 'f'.repeat(64));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ended FAILED: INTEGRITY: SHA-256/);
  });

  it('rollback switches back to the previous version and exits 0', async () => {
    const r = await cli('services', 'rollback', 'app');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/app v1: DONE/);
    expect(await runningVersion(appPort)).toBe('v1');
  });

  it('over HTTP: POST deployments answers 202 at acceptance, GET lists it DONE', async () => {
    const [, url, , sha256] = serve('v4');
    const api = `http://127.0.0.1:${agent.httpPort}/api/v3`;
    const res = await fetch(`${api}/services/app/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: 'v4', artifact: { url, sha256 }, gate: { healthyForMs: 500 } }),
    });
    expect(res.status).toBe(202);
    const { deploymentId } = (await res.json()) as { deploymentId: string };
    await waitFor('v4 DONE over HTTP', async () => {
      const list = (await (await fetch(`${api}/services/app/deployments`)).json()) as { deployments: Array<{ deploymentId: string; state: string }> };
      return list.deployments.find((d) => d.deploymentId === deploymentId)?.state === 'DONE';
    }, 20_000);
    expect(await runningVersion(appPort)).toBe('v4');
    const conflict = await fetch(`${api}/services/nope/rollback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(conflict.status).toBe(404);
  });

  it('cancel --no-wait answers once the cancel is stored; the deployment ends FAILED; with none in progress cancel exits 1 (NOT_FOUND); without NAME 2', async () => {
    const body = release('v5', { extra: [{ path: 'app/padding.bin', body: randomBytes(60_000) }] });
    server.files.set('/v5.tgz', { body, bytesPerSecond: 4_000 });
    const started = await cli('services', 'deploy', 'app', 'v5', '--url', server.url('/v5.tgz'), '--sha256', sha256Hex(body), '--no-wait', '--json');
    const { deploymentId } = JSON.parse(started.stdout) as { deploymentId: string };
    const r = await cli('services', 'cancel', 'app', '--no-wait', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ deploymentId, name: 'app', version: 'v5', cancelledAt: expect.any(String) });
    await waitFor('v5 FAILED', async () => {
      const list = JSON.parse((await cli('services', 'deployments', 'app', '--json')).stdout) as { deployments: Array<{ deploymentId: string; state: string; error?: { code: string } }> };
      const d = list.deployments.find((x) => x.deploymentId === deploymentId);
      return d?.state === 'FAILED' && d.error?.code === 'INTERRUPTED';
    }, 10_000);
    const none = await cli('services', 'cancel', 'app');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/NOT_FOUND: app has no deployment in progress/);
    expect((await cli('services', 'cancel')).code).toBe(2);
    expect(await runningVersion(appPort)).toBe('v4');
  });

  it.each([
    [['services', 'deploy', 'app', 'v9', '--url', 'ftp://x/y', '--sha256', 'a'.repeat(64)], /--url/],
    [['services', 'deploy', 'app', 'v9', '--url', 'http://x/y', '--sha256', 'abc'], /--sha256/],
    [['services', 'deploy', 'app', '../v9', '--url', 'http://x/y', '--sha256', 'a'.repeat(64)], /VERSION/],
    [['services', 'deploy', 'app', 'v9', '--image', 'sma-app:9', '--url', 'http://x/y'], /--image or --url/],
    [['services', 'deploy', 'app', 'v9', '--image', 'bad image'], /image reference/],
    [['services', 'deploy', 'App', 'v9', '--url', 'http://x/y', '--sha256', 'a'.repeat(64)], /service name/],
  ])('bad usage exits 2: %j', async (args, why) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
  });
});
