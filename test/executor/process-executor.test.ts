// The process executor against real child processes: the simulated service and small `node -e` programs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SmaError } from '../../src/errors.js';
import { ProcessExecutor } from '../../src/executor/process-executor.js';
import { cpuPercent, cpuTicksOf, rssOf } from '../../src/executor/proc-stat.js';
import type { ServiceRecord, StartSpec } from '../../src/model.js';
import { capturingLogger, record } from '../supervisor/doubles.js';
import { pidAlive, SIM_SERVICE } from '../supervisor/sim-process.js';

const poll = { timeout: 10_000, interval: 20 };
const executors: ProcessExecutor[] = [];
afterEach(async () => {
  for (const e of executors.splice(0)) await e.close();
});

function setup(stopGraceMs = 3000) {
  const { log, lines } = capturingLogger();
  const executor = new ProcessExecutor({ stopGraceMs, log });
  executors.push(executor);
  const logged = (msg: string) => lines.filter((l) => l.msg === msg);
  return { executor, lines, logged };
}

const node = (name: string, code: string): ServiceRecord => record({ name, start: { command: process.execPath, args: ['-e', code] } });
const sim = (name: string, extra: Partial<StartSpec> = {}): ServiceRecord =>
  record({ name, start: { command: process.execPath, args: [SIM_SERVICE, '--port', '0'], ...extra } });

function pidOf(executor: ProcessExecutor, name: string): number {
  const pid = executor.pidOf(name);
  if (pid === undefined) throw new Error(`${name} has no child`);
  return pid;
}

describe('ProcessExecutor', () => {
  it('spawns the start command, sends its output to the log at debug, and stops it with SIGTERM', async () => {
    const { executor, lines } = setup();
    const svc = sim('web');
    await executor.start(svc);
    expect(executor.isAlive('web')).toBe(true);
    await vi.waitFor(() => expect(lines.some((l) => l.service === 'web' && l.stream === 'stdout' && /^listening \d+$/.test(String(l.msg)))).toBe(true), poll);
    expect(lines.find((l) => l.stream === 'stdout')!.level).toBe(20); // debug
    const pid = pidOf(executor, 'web');
    await executor.stop(svc);
    expect(executor.isAlive('web')).toBe(false);
    expect(pidAlive(pid)).toBe(false);
  });

  it('passes args, cwd and env as given, without a shell', async () => {
    const { executor, lines } = setup();
    const svc = record({
      name: 'env',
      start: {
        command: process.execPath,
        args: ['-e', 'console.log(JSON.stringify([process.cwd(), process.env.SMA_TEST_VAR, process.argv[1]]))', '$(echo not-expanded); true'],
        cwd: '/tmp',
        env: { SMA_TEST_VAR: 'a b;c' },
      },
    });
    await executor.start(svc);
    await vi.waitFor(() => expect(lines.some((l) => l.service === 'env' && l.stream === 'stdout')).toBe(true), poll);
    const said = JSON.parse(String(lines.find((l) => l.service === 'env' && l.stream === 'stdout')!.msg)) as unknown;
    expect(said).toEqual(['/tmp', 'a b;c', '$(echo not-expanded); true']);
  });

  it('sees a child killed from outside (SIGKILL) as not alive, and says so once', async () => {
    const { executor, logged } = setup();
    await executor.start(sim('victim'));
    process.kill(pidOf(executor, 'victim'), 'SIGKILL');
    await vi.waitFor(() => expect(executor.isAlive('victim')).toBe(false), poll);
    expect(logged('service process exited')).toEqual([expect.objectContaining({ service: 'victim', signal: 'SIGKILL', level: 40 })]);
    expect(await executor.metrics(sim('victim'))).toBeUndefined();
  });

  it('SIGKILLs a child that ignores SIGTERM once stopGraceMs is over', async () => {
    const { executor, lines, logged } = setup(300);
    const stubborn = node('stubborn', "process.on('SIGTERM', () => console.log('ignored SIGTERM')); console.log('ready'); setInterval(() => {}, 1000)");
    await executor.start(stubborn);
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'ready')).toBe(true), poll);
    const pid = pidOf(executor, 'stubborn');
    await executor.stop(stubborn);
    expect(executor.isAlive('stubborn')).toBe(false);
    expect(pidAlive(pid)).toBe(false);
    expect(logged('no exit after SIGTERM; sending SIGKILL')).toHaveLength(1);
    await vi.waitFor(() => expect(lines.some((l) => l.msg === 'ignored SIGTERM')).toBe(true), poll);
  });

  it('stop reaches what the service itself started (its process group)', async () => {
    const { executor, lines } = setup(1000);
    const parent = node('parent', "const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); console.log(String(c.pid)); setInterval(() => {}, 1000)");
    await executor.start(parent);
    await vi.waitFor(() => expect(lines.some((l) => l.service === 'parent' && l.stream === 'stdout')).toBe(true), poll);
    const grandchild = Number(lines.find((l) => l.service === 'parent' && l.stream === 'stdout')!.msg);
    try {
      expect(pidAlive(grandchild)).toBe(true);
      await executor.stop(parent);
      await vi.waitFor(() => expect(pidAlive(grandchild)).toBe(false), poll);
    } finally {
      if (pidAlive(grandchild)) process.kill(grandchild, 'SIGKILL'); // leave nothing behind when this fails
    }
  });

  it('restart is its own: a new child replaces the old one', async () => {
    const { executor } = setup();
    const svc = sim('r');
    await executor.start(svc);
    const first = pidOf(executor, 'r');
    await executor.restart(svc);
    const second = pidOf(executor, 'r');
    expect(second).not.toBe(first);
    expect(pidAlive(first)).toBe(false);
    expect(executor.isAlive('r')).toBe(true);
  });

  it('start of a running service is a no-op, even when asked twice at once', async () => {
    const { executor } = setup();
    const svc = sim('once');
    await Promise.all([executor.start(svc), executor.start(svc)]);
    const pid = pidOf(executor, 'once');
    await executor.start(svc);
    expect(pidOf(executor, 'once')).toBe(pid);
  });

  it('fails with EXECUTOR_FAILED without a start command or when the command cannot run', async () => {
    const { executor } = setup();
    await expect(executor.start(record({ name: 'nostart' }))).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', message: 'no start command' });
    const missing = record({ name: 'missing', start: { command: '/nonexistent/binary' } });
    const err = await executor.start(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmaError);
    expect(err).toMatchObject({ code: 'EXECUTOR_FAILED', message: expect.stringMatching(/cannot start missing: .*ENOENT/) });
    expect(executor.isAlive('missing')).toBe(false);
    expect(executor.isAlive('never-heard-of')).toBe(false);
  });

  it('measures memory, uptime and CPU use between calls from /proc', async () => {
    const { executor } = setup();
    const busy = node('busy', 'for (;;) {}');
    const idle = node('idle', 'setInterval(() => {}, 1000)');
    await executor.start(busy);
    await executor.start(idle);
    await vi.waitFor(async () => expect((await executor.metrics(busy))!.cpuPercent).toBeGreaterThan(10), poll);
    const m = (await executor.metrics(idle))!;
    expect(m.memoryBytes).toBeGreaterThan(1024 * 1024);
    expect(m.uptimeS).toBeGreaterThanOrEqual(0);
    expect(m.cpuPercent).toBeGreaterThanOrEqual(0);
  });

  it('close() stops every child it owns', async () => {
    const { executor } = setup();
    await executor.start(sim('one'));
    await executor.start(sim('two'));
    const pids = [pidOf(executor, 'one'), pidOf(executor, 'two')];
    await executor.close();
    expect(pids.map(pidAlive)).toEqual([false, false]);
  });

  it('reboot runs the configured argv, and only when configured', async () => {
    const { log } = capturingLogger();
    const without = new ProcessExecutor({ stopGraceMs: 1000, log });
    expect(without.canReboot).toBe(false);
    await expect(without.reboot()).rejects.toMatchObject({ code: 'EXECUTOR_FAILED' });
    const failing = new ProcessExecutor({ stopGraceMs: 1000, log, reboot: [process.execPath, '-e', "console.error('not allowed'); process.exit(1)"] });
    expect(failing.canReboot).toBe(true);
    await expect(failing.reboot()).rejects.toMatchObject({ code: 'EXECUTOR_FAILED', message: 'not allowed' });
  });
});

describe('/proc parsing', () => {
  it('reads utime + stime even when the command name holds spaces and parentheses', () => {
    const stat = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 123 456 789 ...';
    expect(cpuTicksOf(stat)).toBe(300);
  });

  it('reads VmRSS in bytes', () => {
    expect(rssOf('Name:\tnode\nVmRSS:\t   41236 kB\nThreads:\t7\n')).toBe(41236 * 1024);
    expect(rssOf('Name:\tkthread\n')).toBe(0);
  });

  it.each([
    [0, 100, 1000, 100],
    [100, 150, 1000, 50],
    [0, 300, 2000, 150],
    [10, 10, 1000, 0],
    [0, 100, 0, 0],
  ])('cpuPercent(%i, %i, %i ms) = %i', (before, now, ms, expected) => {
    expect(cpuPercent(before, now, ms)).toBe(expected);
  });
});
