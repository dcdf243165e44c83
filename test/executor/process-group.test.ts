// The process executor's hold on whole process groups and its child ledger, against real processes:
// grandchildren that ignore SIGTERM, orphans of a killed agent, pid reuse across a reboot, and the ledger's
// durability (fsync before rename, seen with strace: a power cut cannot be staged here, the syscalls can).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bootId, ChildLedger, startTicksOf } from '../../src/executor/child-ledger.js';
import { ProcessExecutor } from '../../src/executor/process-executor.js';
import type { ServiceRecord } from '../../src/model.js';
import { capturingLogger, record } from '../supervisor/doubles.js';
import { pidAlive } from '../supervisor/sim-process.js';

const poll = { timeout: 10_000, interval: 20 };
const cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sma-group-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function killLater(pid: number): void {
  cleanup.push(() => {
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  });
}

/** A program that ignores SIGTERM, says so in `marker` when one comes, and idles; `marker.ready` lists it once its handler is in place. */
const STUBBORN = (marker: string) =>
  `const fs = require('fs'); process.on('SIGTERM', () => fs.appendFileSync(${JSON.stringify(marker)}, process.pid + '\\n')); fs.appendFileSync(${JSON.stringify(marker + '.ready')}, process.pid + '\\n'); setInterval(() => {}, 1000)`;

/** Waits until the program with `pid` has its SIGTERM handler in place. */
async function ready(marker: string, pid: number): Promise<void> {
  await vi.waitFor(() => expect(readFileSync(`${marker}.ready`, 'utf8').split('\n')).toContain(String(pid)), poll);
}

function executor(stopGraceMs: number, ledger?: ChildLedger): ProcessExecutor {
  const { log } = capturingLogger();
  const e = new ProcessExecutor({ stopGraceMs, log, ledger });
  cleanup.push(() => e.close());
  return e;
}

describe('process groups', () => {
  it('stop kills a grandchild that ignores SIGTERM even though the leader exits at once', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'grandchild.pid');
    // The leader exits on SIGTERM (default action); its child ignores SIGTERM.
    const code = `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN(join(dir, 'term')))}], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000)`;
    const svc: ServiceRecord = record({ name: 'leader', start: { command: process.execPath, args: ['-e', code] } });
    const e = executor(300);
    await e.start(svc);
    await vi.waitFor(() => expect(readFileSync(pidFile, 'utf8')).toMatch(/^\d+$/), poll);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    killLater(grandchild);
    await ready(join(dir, 'term'), grandchild);
    await e.stop(svc);
    // stop() resolves only once the whole group is gone: no waiting here.
    expect(pidAlive(grandchild)).toBe(false);
    expect(readFileSync(join(dir, 'term'), 'utf8').trim()).toBe(String(grandchild)); // it did get SIGTERM first
  });
});

/** Starts a detached process (its own group) as a killed agent would have left it, and writes it into a ledger. */
async function orphan(dir: string, name: string, entry: Partial<{ bootId: string }> = {}): Promise<number> {
  const proc = spawn(process.execPath, ['-e', STUBBORN(join(dir, 'term'))], { detached: true, stdio: 'ignore' });
  proc.unref();
  const pid = proc.pid!;
  killLater(pid);
  await ready(join(dir, 'term'), pid);
  const path = join(dir, 'children.json');
  let ledger: Record<string, unknown> = {};
  try {
    ledger = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    /* first entry */
  }
  ledger[name] = { pid, startTicks: await startTicksOf(pid), bootId: bootId(), ...entry };
  writeFileSync(path, JSON.stringify(ledger));
  return pid;
}

describe('orphans of a killed agent', () => {
  it('are stopped all at once, not one grace period after another', async () => {
    const dir = tempDir();
    const pids = [await orphan(dir, 'a'), await orphan(dir, 'b'), await orphan(dir, 'c')];
    const { log } = capturingLogger();
    const e = executor(3_000, new ChildLedger(join(dir, 'children.json'), log));
    const done = e.stopOrphans();
    // Every orphan has had its SIGTERM while the first is still inside its grace period (one at a time, the
    // second SIGTERM would come only after the first orphan was SIGKILLed).
    await vi.waitFor(() => expect(readFileSync(join(dir, 'term'), 'utf8').trim().split('\n').sort()).toEqual(pids.map(String).sort()), poll);
    expect(pids.map(pidAlive)).toEqual([true, true, true]);
    expect((await done).sort()).toEqual(['a', 'b', 'c']);
    expect(pids.map(pidAlive)).toEqual([false, false, false]);
  });

  it('leaves alone a process whose pid and start time match but whose boot is another (pid reuse after a reboot)', async () => {
    const dir = tempDir();
    const pid = await orphan(dir, 'stranger', { bootId: '00000000-0000-0000-0000-000000000000' });
    const { log } = capturingLogger();
    const e = executor(300, new ChildLedger(join(dir, 'children.json'), log));
    expect(await e.stopOrphans()).toEqual([]);
    expect(pidAlive(pid)).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'children.json'), 'utf8'))).toEqual({});
  });
});

describe('child ledger', () => {
  it('is written to a temporary file, fsynced, renamed into place, and the directory fsynced', () => {
    if (spawnSync('sh', ['-c', 'command -v strace']).status !== 0) {
      if (process.env.SMA_REQUIRE_PEERS === '1') throw new Error('strace is missing (Debian package strace)');
      return;
    }
    const dir = tempDir();
    const dist = fileURLToPath(new URL('../../dist/executor/child-ledger.js', import.meta.url));
    const script = `const { ChildLedger } = await import(${JSON.stringify(dist)}); const log = { warn: (o) => { console.error(JSON.stringify(o)); process.exit(3); } };
      const l = new ChildLedger(${JSON.stringify(join(dir, 'children.json'))}, log); await l.record('self', process.pid);`;
    const trace = join(dir, 'trace');
    const run = spawnSync('strace', ['-f', '-e', 'trace=openat,fsync,fdatasync,rename,renameat,renameat2', '-o', trace, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const calls = readFileSync(trace, 'utf8').split('\n').map((l) => l.replace(/^\d+\s+/, ''));
    const at = (re: RegExp): number => calls.findIndex((l) => re.test(l));
    const openTmp = calls.find((l) => /openat\(.*children\.json\.tmp".*= \d+$/.test(l));
    expect(openTmp).toBeDefined();
    const tmpFd = /= (\d+)$/.exec(openTmp!)![1];
    const syncTmp = calls.findIndex((l, i) => i > calls.indexOf(openTmp!) && l.startsWith(`fsync(${tmpFd})`));
    const rename = at(/^rename(at2?)?\(.*children\.json\.tmp".*children\.json"/);
    expect(syncTmp).toBeGreaterThan(-1);
    expect(rename).toBeGreaterThan(syncTmp);
    const openDir = calls.findIndex((l, i) => i > rename && new RegExp(`openat\\(.*"${dir}".*= \\d+$`).test(l));
    expect(openDir).toBeGreaterThan(rename);
    const dirFd = /= (\d+)$/.exec(calls[openDir]!)![1];
    expect(calls.slice(openDir).some((l) => l.startsWith(`fsync(${dirFd})`))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'children.json'), 'utf8'))).toMatchObject({ self: { bootId: bootId() } });
  });
});
