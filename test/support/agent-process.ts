// The agent as a real process started from its bin (dist/main.js), on a temporary data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor } from './wait-for.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'dist/main.js');

export interface AgentProcess {
  child: ChildProcess;
  dataDir: string;
  configPath: string;
  mqttPort: number;
  httpPort: number;
  agentId: string;
  topicRoot: string;
  logs: () => Array<Record<string, unknown>>;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The environment for an agent under test: the runner's (which runner-env.ts has already cleared of SMA_
 * variables, so the agent takes only the overrides a test gives it) plus `extra`.
 */
export function agentEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

export function tempDir(prefix = 'sma-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts `sma-bridge start -c <config>`; resolves once the agent logs `ready`. */
export async function startAgent(config: Record<string, unknown>, options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<AgentProcess> {
  const dataDir = options.dataDir ?? tempDir();
  const agentId = ((config.agent as { id?: string } | undefined)?.id ?? 'test-agent') as string;
  const full = {
    agent: { id: agentId },
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    ...config,
    mqtt: { broker: { host: '127.0.0.1', port: 0 }, ...(config.mqtt as object | undefined) },
  };
  const configPath = join(dataDir, `config-${Date.now()}.json`);
  writeFileSync(configPath, JSON.stringify(full, null, 2));
  const child = spawn(process.execPath, [BIN, 'start', '-c', configPath], {
    cwd: dataDir,
    env: agentEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const died = exited.then((code) => {
    throw new Error(`agent exited ${code}: ${stderr}`);
  });
  died.catch(() => {}); // only the race below reads it; a normal exit later is not an error
  const ready = await Promise.race([waitFor('agent ready', () => lines.find((l) => l.msg === 'ready'), 20_000), died]).catch((err) => {
    child.kill('SIGKILL');
    throw new Error(`${String(err)}\nstderr: ${stderr}\nlogs: ${lines.map((l) => JSON.stringify(l)).join('\n')}`);
  });
  const mqttConfig = full.mqtt as { topicRoot?: string };
  return {
    child,
    dataDir,
    configPath,
    agentId,
    topicRoot: mqttConfig.topicRoot ?? `sma/${agentId}`,
    mqttPort: ready.mqttPort as number,
    httpPort: ready.httpPort as number,
    logs: () => lines,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
