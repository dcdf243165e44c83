// Untrusted text on the operator's terminal: the agent's readable log (log.format pretty, as on a terminal) and
// its JSON log, the CLI's tables and `services logs -f` (terminal-output.test.ts has the plain `services logs`).
// A service's output reaches no log line of the agent (it is kept for `services logs`), so the hostile service
// prints an ESC sequence, an 8-bit CSI, a DEL and a \r that would draw a forged line there; a device sends heartbeats
// under an id holding ESC, \n and a forged log line (the topic syntax forbids only /, +, # and NUL in it), then
// falls silent, so the log names it as it turns NONE; a client sends a retained request whose topic carries C1
// and OSC, which the broker refuses and logs. The agent and the CLI are real processes from
// the bin, the service a real child, the MQTT client a real client of the agent's own broker.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentEnv, BIN, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const FORGED = '[2026-01-01 00:00:00.000] INFO: forged';
const HOSTILE_OUTPUT = `process.stdout.write('clear \\x1b[2J csi8 \\u009b31m del \\x7f cr\\r${FORGED} by a service\\n'); setInterval(() => {}, 1000);`;
const HOSTILE_DEVICE = `dev\u001b[2J\n${FORGED} by a device\u009b`;
const HOSTILE_OP = 'op\u009b31m\u001b]0;title\u0007';
/** Every control character but the line ends and TAB: what must never reach the terminal. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

async function hostileTraffic(mqttPort: number, root: string): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 4 });
  await client.publishAsync(`${root}/heartbeat/device/${HOSTILE_DEVICE}`, '{}', { qos: 1 });
  // The broker refuses a retained request and logs its topic; QoS 0, as nothing acknowledges a refusal.
  await client.publishAsync(`${root}/request/${HOSTILE_OP}`, '{}', { qos: 0, retain: true });
  await client.endAsync();
}

describe('the readable log on a terminal (log.format pretty)', () => {
  let child: ChildProcess;
  let out = '';

  beforeAll(async () => {
    const dir = tempDir('sma-pretty-');
    const mqttPort = await freePort();
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({
      agent: { id: 'pretty-gw' }, dataDir: dir, http: { host: '127.0.0.1', port: 0 }, log: { level: 'info', format: 'pretty' },
      mqtt: { broker: { host: '127.0.0.1', port: mqttPort } }, trust: { heartbeatTimeoutMs: 500 },
    }));
    // No colours (stdout is a pipe anyway): every ESC in the output would be one that came from outside.
    const env = agentEnv({ NO_COLOR: '1' });
    delete env.FORCE_COLOR;
    child = spawn(process.execPath, [BIN, 'start', '-c', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    await waitFor('the agent ready', () => /INFO: ready/.test(out), 20_000);
    await hostileTraffic(mqttPort, 'sma/pretty-gw');
    await waitFor('the device and the retained request logged', () => out.includes('turned NONE') && out.includes('mqtt publish refused'), 20_000);
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('shows a device id’s ESC and \\n as \\xNN in the line naming it, so the forged line stays inside it', () => {
    expect(out).toContain(`INFO: [trust] device dev\\x1b[2J\\x0a${FORGED} by a device\\x9b turned NONE`);
    expect(out.split('\n').filter((l) => l.startsWith(FORGED))).toEqual([]);
  });

  it('shows C1 and OSC in a field (the retained request’s topic) as \\xNN too', () => {
    expect(out).toContain('op\\x9b31m\\x1b]0;title\\x07');
  });

  it('writes no control character but line ends and tabs', () => {
    expect(out).not.toMatch(CONTROL);
    expect(out).not.toContain('\r');
  });
});

describe('the JSON log, the CLI’s table of devices, `services logs -f`', () => {
  let agent: AgentProcess;
  let raw = '';

  beforeAll(async () => {
    agent = await startAgent({
      agent: { id: 'json-gw' }, trust: { heartbeatTimeoutMs: 500 }, executor: 'process',
      services: [{ name: 'hostile', check: { type: 'process' }, start: { command: process.execPath, args: ['-e', HOSTILE_OUTPUT] } }],
    });
    agent.child.stdout!.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    await hostileTraffic(agent.mqttPort, agent.topicRoot);
    await waitFor('the device and the topic logged', () => raw.includes('turned NONE') && raw.includes('mqtt publish refused'), 20_000);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
  });

  it('JSON escapes C0 itself; DEL and C1 come as \\u escapes too, the value unchanged for a program', () => {
    expect(raw).not.toMatch(CONTROL);
    expect(raw).toContain('\\u009b');
    expect(agent.logs().some((l) => l.device === HOSTILE_DEVICE)).toBe(true);
    expect(agent.logs().some((l) => l.topic === `${agent.topicRoot}/request/${HOSTILE_OP}`)).toBe(true);
    expect(agent.logs().find((l) => l.msg === `device ${HOSTILE_DEVICE} turned NONE`)).toMatchObject({ level: 30, trustLevel: 'NONE' });
  });

  it('`trust list` shows the device id escaped in its cell; --json keeps it whole, C1 as \\u escapes', async () => {
    const broker = ['--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', 'json-gw'];
    const table = await run(process.execPath, [BIN, 'trust', 'list', ...broker], { timeout: 20_000 });
    expect(table.stdout).toContain(`dev\\x1b[2J\\x0a${FORGED} by a device\\x9b`);
    expect(table.stdout).not.toMatch(CONTROL);
    const json = await run(process.execPath, [BIN, 'trust', 'list', '--json', ...broker], { timeout: 20_000 });
    expect(json.stdout).not.toMatch(CONTROL);
    expect((JSON.parse(json.stdout) as Array<{ id: string }>).map((d) => d.id)).toContain(HOSTILE_DEVICE);
  });

  it('`services logs -f` shows the service’s escape sequences and its \\r as \\xNN as they come: no forged line', async () => {
    const follow = spawn(process.execPath, [BIN, 'services', 'logs', 'hostile', '-f', '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', 'json-gw'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    follow.stdout!.on('data', (c: Buffer) => (text += c.toString('utf8')));
    try {
      await waitFor('the line followed', () => text.includes('by a service'), 20_000);
    } finally {
      follow.kill('SIGINT');
      await new Promise((r) => follow.once('exit', r));
    }
    expect(text).toContain(`clear \\x1b[2J csi8 \\x9b31m del \\x7f cr\\x0d${FORGED} by a service`);
    expect(text.split('\n').filter((l) => l.startsWith(FORGED))).toEqual([]);
    expect(text).not.toMatch(CONTROL);
  });
});
