// Logs a person can read: pretty lines on a terminal, JSON otherwise or when asked; no misleading lines on a
// first start; a taken port answered with the key that moves it.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, agentEnv, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { killAll } from '../support/service-procs.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';

const haveScript = hasPeer('script', 'util-linux');

function configFile(extra: Record<string, unknown> = {}): string {
  const dir = tempDir();
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ dataDir: dir, http: { host: '127.0.0.1', port: 0 }, mqtt: { broker: { host: '127.0.0.1', port: 0 } }, ...extra }));
  return path;
}

/** Runs the agent under a pseudo-terminal (util-linux `script`) until it is ready, then stops it; its output. */
async function onTerminal(path: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} start -c ${path}`, '/dev/null'], { env: agentEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await waitFor('ready on the terminal', () => /ready/.test(out));
  } finally {
    child.stdin!.write('\x03'); // Ctrl-C, as a person would: SIGINT through the terminal
    await new Promise((r) => child.once('exit', r));
  }
  return out;
}

describe('readable logs', () => {
  const agents: AgentProcess[] = [];
  const servers: Server[] = [];
  afterAll(async () => {
    for (const a of agents) {
      await a.stop();
      killAll(a.configPath);
    }
    for (const s of servers) s.close();
  });

  it.skipIf(!haveScript)('pretty on a terminal, JSON there when log.format is json', async () => {
    const pretty = await onTerminal(configFile({ agent: { id: 'tty-agent' } }));
    const readyLine = pretty.split('\n').find((l) => l.includes('ready'))!;
    expect(readyLine).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] .*INFO.*ready/);
    expect(pretty).not.toContain('"level":30');
    expect(pretty).toContain('[broker] embedded MQTT broker listening');

    const json = await onTerminal(configFile(), { SMA_LOG_FORMAT: 'json' });
    expect(json).toContain('"msg":"ready"');
  });

  it('a first start names no memory it does not have, and no TLS listener that is off', async () => {
    const agent = await startAgent({
      agent: { id: 'fresh-logs' },
      services: [{ name: 'sleeper', check: { type: 'process' }, start: { command: 'sleep', args: ['300'] } }],
    });
    agents.push(agent);
    const lines = agent.logs();
    const broker = lines.find((l) => l.msg === 'embedded MQTT broker listening')!;
    expect(broker).not.toHaveProperty('tlsHost');
    expect(broker).not.toHaveProperty('tlsPort');
    await waitFor('the manifest service started', () => agent.logs().find((l) => l.service === 'sleeper' && /start/.test(String(l.msg))));
    expect(agent.logs().filter((l) => /remembered/.test(String(l.msg)))).toEqual([]);
  });

  it('a taken port: one line naming the key, its variable and the likely cause; no stack trace', async () => {
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    const path = configFile({ http: { host: '127.0.0.1', port } });
    const child = spawn(process.execPath, [BIN, 'start', '-c', path], { env: agentEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(err).toContain(`127.0.0.1:${port} is already in use: is an agent already running?`);
    expect(err).toContain('http.port in the configuration, or SMA_HTTP_PORT=PORT');
    expect(out).not.toContain('stack');
    const fatal = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 60)!;
    expect(fatal).toMatchObject({ key: 'http.port', port });
  });
});
