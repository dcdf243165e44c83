// The command executor against a real EdgeX-style executor: a shell script the test writes, which logs its argv.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CommandExecutor, type CommandExecutorOptions } from '../../src/executor/command-executor.js';
import { capturingLogger, record } from '../supervisor/doubles.js';
import { pidAlive } from '../supervisor/sim-process.js';

let dir: string;
let script: string;
let argvLog: string;

// Logs `argc=N [arg1] [arg2]...` per call, then acts like an EdgeX executor would.
const SCRIPT = (logFile: string) => `#!/bin/sh
{ printf 'argc=%s' "$#"; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'; } >> '${logFile}'
case "$2" in
  start) exit 0 ;;
  stop) echo "some progress on stdout"; echo "cannot stop $1: not running" >&2; exit 3 ;;
  restart) echo "restart refused (stdout only)"; exit 1 ;;
  metrics) echo '{"cpuUsedPercent": 12.5, "memoryUsed": 2048, "raw": {"id": "abc"}}' ;;
  silent-fail) exit 4 ;;
  *) echo "unknown action $2" >&2; exit 2 ;;
esac
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sma-cmd-exec-'));
  script = join(dir, 'executor.sh');
  argvLog = join(dir, 'argv.log');
  await writeFile(script, SCRIPT(argvLog));
  await chmod(script, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function executor(options: Partial<CommandExecutorOptions> = {}) {
  const { log } = capturingLogger();
  return new CommandExecutor({ path: script, timeoutMs: 5000, log, ...options });
}

async function calls(): Promise<string[]> {
  if (!existsSync(argvLog)) return [];
  return (await readFile(argvLog, 'utf8')).trim().split('\n');
}

async function clearCalls(): Promise<void> {
  await rm(argvLog, { force: true });
}

describe('CommandExecutor (EdgeX-style path)', () => {
  it('calls `path <name> <action>`; exit 0 is success', async () => {
    await clearCalls();
    await executor().start(record({ name: 'edgex-core-data' }));
    expect(await calls()).toEqual(['argc=2 [edgex-core-data] [start]']);
  });

  it('a non-zero exit fails with stderr as the message (else stdout)', async () => {
    const e = executor();
    await expect(e.stop(record({ name: 'svc' }))).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', message: 'cannot stop svc: not running' });
    await expect(e.restart(record({ name: 'svc' }))).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', message: 'restart refused (stdout only)' });
  });

  it('a silent failure names the exit status', async () => {
    const e = executor({ path: undefined, start: [script, '{name}', 'silent-fail'], stop: [script], restart: [script] });
    await expect(e.start(record({ name: 'quiet' }))).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', message: `${script} exited with status 4` });
  });

  it('metrics parses the EdgeX metrics JSON', async () => {
    expect(await executor().metrics(record({ name: 'svc' }))).toEqual({ cpuPercent: 12.5, memoryBytes: 2048, uptimeS: 0 });
  });

  it('refuses a name with shell metacharacters before anything runs', async () => {
    await clearCalls();
    const marker = join(dir, 'pwned');
    const e = executor();
    for (const name of [`a;touch ${marker}`, `$(touch ${marker})`, `a b`, `../etc`, `-rf`, `\`touch ${marker}\``]) {
      for (const action of ['start', 'stop', 'restart'] as const) {
        await expect(e[action](record({ name }))).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', message: expect.stringMatching(/^refused service name/) });
      }
      await expect(e.metrics(record({ name }))).rejects.toMatchObject({ code: 'EXECUTOR_FAILED' });
    }
    expect(await calls()).toEqual([]); // the script never ran
    expect(existsSync(marker)).toBe(false);
  });

  it('a missing executor is EXECUTOR_FAILED, not a crash', async () => {
    await expect(executor({ path: join(dir, 'nope.sh') }).start(record({ name: 'svc' }))).rejects.toMatchObject({
      code: 'EXECUTOR_FAILED',
      message: expect.stringMatching(/cannot run .*ENOENT/),
    });
  });

  it('cannot see processes: isAlive is undefined', () => {
    expect(executor().isAlive()).toBeUndefined();
  });
});

describe('CommandExecutor (argv templates)', () => {
  it('puts {name} into its argument, which stays one argument', async () => {
    await clearCalls();
    const e = executor({
      path: undefined,
      start: [script, '--unit={name}.service', 'start', '{name}'],
      stop: [script, '{name}', 'stop'],
      restart: [script, 'x', 'y', '{name}{name}'],
    });
    await e.start(record({ name: 'my-svc.v2' }));
    await e.restart(record({ name: 'a_b' })).catch(() => undefined);
    expect(await calls()).toEqual(['argc=3 [--unit=my-svc.v2.service] [start] [my-svc.v2]', 'argc=3 [x] [y] [a_ba_b]']);
  });

  it('without a metrics template or path, metrics is undefined (no figures, no failure)', async () => {
    const e = executor({ path: undefined, start: [script, '{name}', 'start'], stop: [script], restart: [script] });
    expect(await e.metrics(record({ name: 'svc' }))).toBeUndefined();
  });

  it('metrics output that is not JSON is EXECUTOR_FAILED', async () => {
    const e = executor({ metrics: [process.execPath, '-e', "console.log('cpu: lots')"] });
    await expect(e.metrics(record({ name: 'svc' }))).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', message: 'metrics of svc: not JSON' });
  });

  it('past timeoutMs the command and what it started are killed, and the call is TIMEOUT', async () => {
    const pidFile = join(dir, 'sleeper.pid');
    const hang = join(dir, 'hang.sh');
    await writeFile(hang, `#!/bin/sh\nsleep 60 &\necho $! > '${pidFile}'\nwait\n`);
    await chmod(hang, 0o755);
    const e = executor({ path: undefined, start: [hang, '{name}'], stop: [hang], restart: [hang], timeoutMs: 1500 });
    await expect(e.start(record({ name: 'slow' }))).rejects.toMatchObject({ code: 'TIMEOUT' });
    const sleeper = Number(await readFile(pidFile, 'utf8'));
    await vi.waitFor(() => expect(pidAlive(sleeper)).toBe(false), { timeout: 10_000, interval: 20 });
  });

  it('reboot runs its template when configured', async () => {
    await clearCalls();
    expect(executor().canReboot).toBe(false);
    await expect(executor().reboot()).rejects.toMatchObject({ code: 'EXECUTOR_FAILED' });
    const e = executor({ reboot: [script, 'gateway', 'start'] });
    expect(e.canReboot).toBe(true);
    await e.reboot();
    expect(await calls()).toEqual(['argc=2 [gateway] [start]']);
  });
});
