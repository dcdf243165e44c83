// Issue 2 acceptance, issue 14 (build 5): `sma-bridge start` with no configuration file comes up on the
// embedded defaults (embedded broker, embedded registry in ./data) and the CLI answers from another process.
// The ports come from SMA_ overrides set to 0 (the OS picks), never 1883/48090: `npm test` must pass while
// `npm start` runs. The default port numbers themselves are checked in test/unit/config.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { agentEnv, BIN, tempDir } from '../support/agent-process.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const PRELOAD = join(import.meta.dirname, 'fixtures/report-loaded-modules.mjs');

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
  let broker = '';
  let httpPort = 0;
  const logLines = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    const env = agentEnv({ SMA_AGENT_ID: 'defaults-agent', SMA_MQTT_BROKER_PORT: '0', SMA_HTTP_PORT: '0' });
    agent = spawn(process.execPath, ['--import', PRELOAD, BIN, 'start'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
    agent.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    agent.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const ready = await waitFor('ready', () => {
      if (agent.exitCode !== null) throw new Error(`agent exited: ${out}`);
      return logLines().find((l) => l.msg === 'ready');
    });
    broker = `mqtt://127.0.0.1:${ready.mqttPort as number}`;
    httpPort = ready.httpPort as number;
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

  it('has not loaded the MQTT client library: the embedded broker needs none', async () => {
    agent.kill('SIGUSR2');
    const report = await waitFor('module report', () => /\{"loadedPackages":.*\}/.exec(out)?.[0]);
    const { loadedPackages } = JSON.parse(report) as { loadedPackages: string[] };
    expect(loadedPackages).toContain('aedes');
    expect(loadedPackages).not.toContain('mqtt');
  });

  it('a client command loads the MQTT client but neither the agent nor zod; --version loads neither', async () => {
    const loaded = async (...args: string[]): Promise<string[]> => {
      const { stderr } = await run(process.execPath, ['--import', PRELOAD, BIN, ...args], { env: { ...process.env, REPORT_LOADED_ON_EXIT: '1' } });
      return (JSON.parse(/\{"loadedPackages":.*\}/.exec(stderr)![0]) as { loadedPackages: string[] }).loadedPackages;
    };
    const list = await loaded('services', 'list', '--broker', broker);
    expect(list).toContain('mqtt');
    for (const heavy of ['zod', 'aedes', 'pino', 'level', 'classic-level']) expect(list).not.toContain(heavy);
    expect(await loaded('--version')).toEqual([]);
  });

  it('answers `sma-bridge services list` from another process, finding the agent itself (table and --json)', async () => {
    const table = await cli('services', 'list', '--broker', broker);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/NAME/);
    const json = await cli('services', 'list', '--json', '--agent', 'defaults-agent', '--broker', broker);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('serves /health and /metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${httpPort}/health`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^sma_services\{status="RUNNING"\} 0$/m);
    expect(metrics).toMatch(/^sma_health_checks_total \d+$/m);
  });

  it('exits 1 with one line on stderr for a failed operation, 2 for bad usage', async () => {
    const missing = await cli('services', 'restart', 'ghost', '--broker', broker);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const usage = await cli('services', 'frobnicate');
    expect(usage.code).toBe(2);
  });

  it.skipIf(!hasPeer('mosquitto_pub', 'mosquitto-clients'))('logs no WARN when a plain client (mosquitto_pub) connects and leaves', async () => {
    const port = broker.split(':')[2];
    for (let i = 0; i < 3; i++) await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', 'not/the/agent', '-m', 'x']);
    // A CLI command after them: by its answer the broker has long handled their disconnects.
    expect((await cli('agent', 'info', '--broker', broker)).code).toBe(0);
    expect(logLines().filter((l) => l.msg === 'mqtt connection cut')).toEqual([]);
    expect(logLines().filter((l) => (l.level as number) >= 40 && l.part === 'broker')).toEqual([]);
  });
});

describe('environment overrides are checked like the file', () => {
  it('an SMA_ variable naming no key stops the agent before it binds anything: exit 2, the variable named', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], {
      cwd: tempDir('sma-env-'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: agentEnv({ SMA_HEALTH_INTERVALSMS: '500', SMA_MQTT_BROKER_PORT: '0', SMA_HTTP_PORT: '0' }),
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    // Were the variable ignored, the agent would run: stop it rather than leave it behind.
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise((r) => child.once('exit', r));
    clearTimeout(killer);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^sma-bridge: config: SMA_HEALTH_INTERVALSMS: not a configuration key \(did you mean SMA_HEALTH_INTERVALMS\?\)/);
  });
});
