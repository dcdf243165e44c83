// Issue 2 acceptance: `sma-bridge start` with no configuration comes up on the embedded defaults
// (MQTT 127.0.0.1:1883, HTTP 127.0.0.1:48090, ./data), and the CLI answers from another process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, tempDir } from '../support/agent-process.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the agent on its embedded defaults', () => {
  const cwd = tempDir('sma-defaults-');
  let agent: ChildProcess;
  let out = '';

  beforeAll(async () => {
    agent = spawn(process.execPath, [BIN, 'start'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SMA_AGENT_ID: 'defaults-agent' } });
    agent.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    agent.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    await waitFor('ready', () => {
      if (agent.exitCode !== null) throw new Error(`agent exited: ${out}`);
      return out.includes('"msg":"ready"');
    });
  });

  afterAll(async () => {
    if (agent.exitCode === null) {
      const gone = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await gone;
    }
  });

  it('keeps its registry in ./data', () => {
    expect(existsSync(join(cwd, 'data'))).toBe(true);
  });

  it('answers `sma-bridge services list` from another process (table and --json)', async () => {
    const table = await cli('services', 'list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NAME/);
    const json = await cli('services', 'list', '--json', '--agent', 'defaults-agent');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('serves /health and /metrics on 127.0.0.1:48090', async () => {
    const health = await fetch('http://127.0.0.1:48090/health');
    expect(health.status).toBe(200);
    const metrics = await (await fetch('http://127.0.0.1:48090/metrics')).text();
    expect(metrics).toMatch(/^sma_services\{status="RUNNING"\} 0$/m);
    expect(metrics).toMatch(/^sma_health_checks_total \d+$/m);
  });

  it('exits 1 with one line on stderr for a failed operation, 2 for bad usage', async () => {
    const missing = await cli('services', 'restart', 'ghost');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const usage = await cli('services', 'frobnicate');
    expect(usage.code).toBe(2);
  });
});
