// The CLI without hand-written JSON: services register / deregister, the agent found from its configuration
// file or SMA_BROKER / SMA_AGENT, `agent info` naming the process that answered, `help`, "did you mean".
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, agentEnv, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { killAll } from '../support/service-procs.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);

async function cli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 20_000, env: agentEnv(options.env), cwd: options.cwd });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('services register / deregister and finding the agent', () => {
  let agent: AgentProcess;
  /** The agent's configuration as a gateway has it: its broker on a fixed port (the test's port 0, now known). */
  let configPath: string;
  beforeAll(async () => {
    // The CLI's own variables in the agent's environment are not refused as unknown configuration keys.
    agent = await startAgent({ agent: { id: 'reg-gw' } }, { env: { SMA_BROKER: 'mqtt://127.0.0.1:1', SMA_AGENT: 'elsewhere' } });
    const config = JSON.parse(readFileSync(agent.configPath, 'utf8')) as { mqtt: { broker: { port: number } } };
    config.mqtt.broker.port = agent.mqttPort;
    configPath = join(tempDir('sma-reg-config-'), 'config.json');
    writeFileSync(configPath, `// as install-service writes it: comments are allowed\n${JSON.stringify(config, null, 2)}`);
  });
  afterAll(async () => {
    await agent?.stop();
    killAll(agent.configPath);
  });

  it('registers with a check and a start command run in the current directory, found through -c FILE', async () => {
    const dir = tempDir('sma-reg-cwd-');
    const registered = await cli(['services', 'register', 'sleeper', '-c', configPath, '--', process.execPath, '-e', 'require("fs").writeFileSync("here", "1"); setInterval(() => {}, 1000)'], { cwd: dir });
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toMatch(/^sleeper\s+/m);
    expect(registered.stdout).toContain('sma-bridge services start sleeper');
    const started = await cli(['services', 'start', 'sleeper', '-c', configPath]);
    expect(started.code, started.stderr).toBe(0);
    // It ran in the directory the register command was typed in.
    const { existsSync } = await import('node:fs');
    await waitFor('the service wrote into the registering directory', () => existsSync(`${dir}/here`));

    // A configuration whose broker port is chosen at each start cannot name it.
    const zero = await cli(['services', 'list', '-c', agent.configPath]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('mqtt.broker.port 0');

    const http = await cli(['services', 'register', 'web', '--check', 'http://127.0.0.1:9/health', '-c', configPath, '--json']);
    expect(http.code, http.stderr).toBe(0);
    expect(JSON.parse(http.stdout)).toMatchObject({ name: 'web' });
    const list = await cli(['services', 'list', '-c', configPath, '--json']);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((s) => s.name).sort()).toEqual(['sleeper', 'web']);

    // --container: the registration names the Docker container instead of a command (the docker executor's).
    const boxed = await cli(['services', 'register', 'boxed', '--container', 'edge-box', '-c', configPath, '--json']);
    expect(boxed.code, boxed.stderr).toBe(0);
    const requester = await MqttRequester.forAgent(agent);
    try {
      // Started, it goes to the Docker executor (here no engine answers: that is the executor's own test).
      const started = (await requester.request('services.start', { names: ['boxed'] })).result as Array<{ error?: { message: string } }>;
      expect(started[0]!.error?.message).toMatch(/docker|container/i);
    } finally {
      await requester.close();
    }
    expect((await cli(['services', 'deregister', 'boxed', '-c', configPath])).code).toBe(0);

    const gone = await cli(['services', 'deregister', 'web', '-c', configPath]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout.trim()).toBe('deregistered web');
    expect((await cli(['services', 'deregister', 'web', '-c', configPath])).code).toBe(1);
  });

  it('usage errors before connecting: no check, a bad check, a command and a container together', async () => {
    expect((await cli(['services', 'register', 'x', '--broker', 'mqtt://127.0.0.1:1'])).stderr).toContain('needs --check');
    expect((await cli(['services', 'register', 'x', '--check', 'ping', '--broker', 'mqtt://127.0.0.1:1'])).stderr).toContain("--check 'ping' is not");
    const both = await cli(['services', 'register', 'x', '--container', 'c1', '--broker', 'mqtt://127.0.0.1:1', '--', 'sleep', '1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
  });

  it('SMA_BROKER and SMA_AGENT, and agent info naming the process that answered', async () => {
    const env = { SMA_BROKER: `mqtt://127.0.0.1:${agent.mqttPort}`, SMA_AGENT: 'reg-gw' };
    const info = await cli(['agent', 'info', '--json'], { env });
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ agentId: 'reg-gw', pid: agent.child.pid, dataDir: agent.dataDir, mqttPort: agent.mqttPort, httpPort: agent.httpPort });
    const table = await cli(['agent', 'info'], { env });
    expect(table.stdout).toMatch(new RegExp(`^pid\\s+${agent.child.pid}$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^ports\\s+mqtt ${agent.mqttPort}, http ${agent.httpPort}$`, 'm'));
    // A flag beats the environment.
    const wrong = await cli(['agent', 'info', '--broker', 'mqtt://127.0.0.1:1', '--timeout', '500'], { env });
    expect(wrong.code).not.toBe(0);
  });

  it('help as a command, and "did you mean" for a command', async () => {
    const help = await cli(['help', 'services', 'register']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: sma-bridge services register NAME');
    expect((await cli(['help'])).stdout).toContain('commands:');
    const typo = await cli(['servcies', 'list']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean 'services'?");
  });
});
