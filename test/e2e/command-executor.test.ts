// Issue 2 acceptance: a shell script written as an EdgeX-style executor drives start/stop/restart/metrics
// through the `command` executor; a service name with shell metacharacters never reaches it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';

describe('command executor (EdgeX-style executor script)', () => {
  const dir = tempDir('sma-exec-');
  const log = join(dir, 'calls.log');
  const script = join(dir, 'executor.sh');
  let agent: AgentProcess;
  let mqtt: MqttRequester;

  beforeAll(async () => {
    writeFileSync(
      script,
      `#!/bin/sh
# An EdgeX-style executor: <name> <action>; exit 0 on success, output is the error otherwise.
echo "$#|$1|$2" >> "${log}"
case "$2" in
  start|stop|restart) [ "$1" = "broken" ] && { echo "cannot $2 $1: unit not found" >&2; exit 4; }; exit 0 ;;
  metrics) echo '{"cpuUsedPercent": 12.5, "memoryUsed": 4096}'; exit 0 ;;
  *) echo "unknown action $2" >&2; exit 2 ;;
esac
`,
    );
    chmodSync(script, 0o755);
    agent = await startAgent({ executor: { type: 'command', path: script, timeoutMs: 5_000 }, health: { intervalMs: 60_000 } });
    mqtt = await MqttRequester.forAgent(agent);
    for (const name of ['core-data', 'broken']) {
      expect((await mqtt.request('registry.register', { name, check: { type: 'none' } })).ok).toBe(true);
    }
  });

  afterAll(async () => {
    await mqtt?.close();
    await agent?.stop();
  });

  it('calls the executor as `path <name> <action>` for start, stop, restart and metrics', async () => {
    for (const op of ['start', 'stop', 'restart']) {
      const reply = await mqtt.request(`services.${op}`, { names: ['core-data'] });
      expect((reply.result as Array<{ result: string }>)[0].result).toBe('OK');
    }
    const metrics = await mqtt.request('services.metrics', { names: ['core-data'] });
    const m = (metrics.result as Array<{ name: string; cpuPercent: number; memoryBytes: number }>)[0];
    expect(m).toMatchObject({ name: 'core-data', cpuPercent: 12.5, memoryBytes: 4096 });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toEqual(expect.arrayContaining(['2|core-data|start', '2|core-data|stop', '2|core-data|restart', '2|core-data|metrics']));
  });

  it('turns a non-zero exit into FAILED with the executor output as the error', async () => {
    const reply = await mqtt.request('services.start', { names: ['broken'] });
    const item = (reply.result as Array<{ result: string; error?: { code: string; message: string } }>)[0];
    expect(item.result).toBe('FAILED');
    expect(item.error?.code).toBe('EXECUTOR_FAILED');
    expect(item.error?.message).toContain('unit not found');
  });

  it('never lets a name with shell metacharacters reach the executor', async () => {
    const marker = join(dir, 'pwned');
    const evil = `x;touch ${marker}`;
    const before = readFileSync(log, 'utf8');
    for (const [op, body] of [
      ['registry.register', { name: evil, check: { type: 'none' } }],
      ['services.start', { names: [evil] }],
      ['services.restart', { names: ['$(touch ' + marker + ')'] }],
      ['config.set', { name: '`touch ' + marker + '`', config: { a: 1 } }],
    ] as const) {
      const reply = await mqtt.request(op, body as Record<string, unknown>);
      expect(reply.ok).toBe(false);
      expect(reply.error?.code).toBe('INVALID_REQUEST');
    }
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(log, 'utf8')).toBe(before);
  });
});
