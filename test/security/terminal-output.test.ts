// A service's output reaches the operator's terminal through `sma-bridge services logs`: a hostile service
// prints escape sequences (OSC 52 sets the clipboard, OSC 0 the window title, CSI 2J clears the screen, an
// 8-bit CSI, a BEL). The CLI shows them as \xNN and writes no control character but the line ends. The agent
// and the CLI as real processes from the bin, the service a real child.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { ArtifactServer } from '../deploy/artifact-server.js';
import { sha256Hex, tarball } from '../deploy/tarball.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const HOSTILE = `process.stdout.write('before \\x1b]52;c;cm0gLXJmIH4=\\x07 title \\x1b]0;owned\\x07 clear \\x1b[2J\\x1b[H csi8 \\u009b31m bell \\x07 tab\\tend\\n'); setInterval(() => {}, 1000);`;

describe('service output on the operator’s terminal', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;

  beforeAll(async () => {
    agent = await startAgent({ agent: { id: 'term-gw' }, executor: 'process' });
    mqtt = await MqttRequester.forAgent(agent);
    expect((await mqtt.request('registry.register', { name: 'hostile', check: { type: 'process' }, start: { command: process.execPath, args: ['-e', HOSTILE] } })).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['hostile'] })).ok).toBe(true);
    await waitFor('the line kept', async () => ((await mqtt.request('services.logs', { name: 'hostile' })).result as { lines: unknown[] }).lines.length > 0);
  }, 60_000);

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
    await server?.close();
  });
  let server: ArtifactServer | undefined;

  it('shows escape sequences as \\xNN and writes no control character but newlines', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'services', 'logs', 'hostile', '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', 'term-gw'], { timeout: 20_000 });
    expect(stdout).toContain('before \\x1b]52;c;cm0gLXJmIH4=\\x07 title \\x1b]0;owned\\x07 clear \\x1b[2J\\x1b[H csi8 \\x9b31m bell \\x07 tab\tend');
    expect(stdout.replace(/[\n\t]/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    // --json is for programs: the text as the service wrote it, JSON-escaped.
    const json = await run(process.execPath, [BIN, 'services', 'logs', 'hostile', '--json', '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', 'term-gw'], { timeout: 20_000 });
    expect(json.stdout).toContain('\\u001b]52;c;');
  });

  it('shows an 8-bit CSI quoted from an archive path in a deployment error as \\x9b (progress and stderr)', async () => {
    server = await ArtifactServer.start();
    const body = tarball([{ path: 'app.js', body: 'x' }, { path: 'evil\u009b2J\u009bH/../../x', body: 'x' }]);
    server.files.set('/v2.tgz', { body });
    const cli = promisify(execFile);
    const failed = await cli(process.execPath, [BIN, 'services', 'deploy', 'hostile', 'v2', '--url', server.url('/v2.tgz'), '--sha256', sha256Hex(body), '--broker', `mqtt://127.0.0.1:${agent.mqttPort}`, '--agent', 'term-gw'], { timeout: 30_000 }).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/ended FAILED: INSTALL: .*evil\\x9b2J\\x9bH/);
    expect(failed?.stdout).toMatch(/INSTALL: .*evil\\x9b2J/);
    for (const text of [failed!.stdout, failed!.stderr]) expect(text.replace(/[\n\t]/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
