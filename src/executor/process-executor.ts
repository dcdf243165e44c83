// The `process` executor: the agent spawns each service's `start` command (never through a shell) and owns the child.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { executorFailed, timeoutError } from '../errors.js';
import type { ServiceRecord } from '../model.js';
import type { Executor, OutputSink, ProcessExit, ProcessMetrics } from './executor.js';
import { cpuPercent, readProc } from './proc-stat.js';
import { runArgv } from './run-argv.js';
import { stillRunning, type ChildLedger } from './child-ledger.js';
import { stopGroup } from './process-group.js';
import { LineSplitter } from '../output/line-splitter.js';
import { childEnv } from './child-env.js';

export interface ProcessExecutorOptions {
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs: number;
  /** argv of the gateway's reboot command, when there is one. */
  reboot?: string[];
  log: Logger;
  clock?: Clock;
  /** Where the executor remembers its children across an agent crash (under dataDir). */
  ledger?: ChildLedger;
  /** Where each child's stdout and stderr go. */
  output?: OutputSink;
}

interface Child {
  proc: ChildProcess;
  pid: number;
  startedAt: number;
  running: boolean;
  stopping: boolean;
  exited: Promise<void>;
  /** The last CPU sample, so that cpuPercent is the use since the previous metrics call. */
  sample: { ticks: number; at: number };
}

/** How long a SIGKILLed child may take to be reaped before stop() gives up with TIMEOUT. */
const REAP_MS = 5_000;
const REBOOT_TIMEOUT_MS = 60_000;

export class ProcessExecutor implements Executor {
  readonly kind = 'process';
  private readonly children = new Map<string, Child>();
  private readonly spawning = new Map<string, Promise<void>>();
  private readonly exitListeners: Array<(name: string, exit: ProcessExit) => void> = [];
  private readonly clock: Clock;

  constructor(private readonly o: ProcessExecutorOptions) {
    this.clock = o.clock ?? systemClock;
  }

  get canReboot(): boolean {
    return this.o.reboot !== undefined;
  }

  /** Spawns the service unless its child is already running (or being spawned). */
  start(service: ServiceRecord): Promise<void> {
    const pending = this.spawning.get(service.name);
    if (pending) return pending;
    const spawned = this.spawnChild(service).finally(() => this.spawning.delete(service.name));
    this.spawning.set(service.name, spawned);
    return spawned;
  }

  private async spawnChild(service: ServiceRecord): Promise<void> {
    if (!service.start) throw executorFailed('no start command');
    if (this.children.get(service.name)?.running) return;
    const { command, args = [], cwd } = service.start;
    // Its own process group, so that stop reaches whatever the service itself started.
    const proc = spawn(command, args, { cwd, env: childEnv(service.start), shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        proc.once('spawn', resolve);
        proc.once('error', reject);
      });
    } catch (err) {
      throw executorFailed(`cannot start ${service.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.adopt(service.name, proc);
  }

  /** SIGTERM to the child's group, SIGKILL after `stopGraceMs`; a service not running is already stopped. */
  stop(service: ServiceRecord): Promise<void> {
    return this.stopChild(service.name);
  }

  /**
   * The whole group, not only its leader: a grandchild that ignores SIGTERM would otherwise outlive a leader
   * that exits at once. SIGTERM to the group; SIGKILL to what is left of it after the grace.
   */
  private async stopChild(name: string): Promise<void> {
    const child = this.children.get(name);
    if (!child?.running) return;
    child.stopping = true;
    const { stopGraceMs, log } = this.o;
    const outcome = await stopGroup(child.pid, stopGraceMs, REAP_MS, this.clock);
    if (outcome === 'killed') log.warn({ service: name, pid: child.pid, graceMs: stopGraceMs }, 'no exit after SIGTERM; sending SIGKILL');
    // A leader that left its group (setsid) is not reached by the group's signals: it gets them itself.
    if (child.running) {
      child.proc.kill('SIGKILL');
      if (!(await this.exitWithin(child, REAP_MS))) throw timeoutError(`${name} (pid ${child.pid}) did not exit after SIGKILL`);
    }
    if (outcome === 'stuck') throw timeoutError(`${name}: process group ${child.pid} still has processes after SIGKILL`);
  }

  /** The executor's own restart: stop the child it owns, then start a new one. */
  async restart(service: ServiceRecord): Promise<void> {
    if (!service.start) throw executorFailed('no start command');
    await this.stop(service);
    await this.start(service);
  }

  async metrics(service: ServiceRecord): Promise<ProcessMetrics | undefined> {
    const child = this.children.get(service.name);
    if (!child?.running) return undefined;
    const now = this.clock.now();
    const uptimeS = Math.floor((now - child.startedAt) / 1000);
    const proc = await readProc(child.pid);
    if (!proc) return { cpuPercent: 0, memoryBytes: 0, uptimeS };
    const cpu = cpuPercent(child.sample.ticks, proc.cpuTicks, now - child.sample.at);
    child.sample = { ticks: proc.cpuTicks, at: now };
    return { cpuPercent: cpu, memoryBytes: proc.rssBytes, uptimeS };
  }

  isAlive(name: string): boolean {
    return this.children.get(name)?.running ?? false;
  }

  /** The pid of the running child, for diagnostics. */
  pidOf(name: string): number | undefined {
    const child = this.children.get(name);
    return child?.running ? child.pid : undefined;
  }

  async reboot(): Promise<void> {
    if (!this.o.reboot) throw executorFailed('no reboot command configured');
    this.o.log.warn({ argv: this.o.reboot }, 'rebooting the gateway');
    await runArgv(this.o.reboot, REBOOT_TIMEOUT_MS);
  }

  /**
   * Stops what an earlier run of the agent started and could not stop (it was killed): those processes have
   * lost their pipes to us and cannot be supervised, so they go, and the supervisor starts fresh copies of
   * the services meant to run. Returns the names it stopped.
   */
  async stopOrphans(): Promise<string[]> {
    const ledger = this.o.ledger;
    if (!ledger) return [];
    // All at once: each may take the whole grace period, and the agent is not ready until they are gone.
    const stopped = await Promise.all(
      ledger.remembered().map(async ([name, entry]) => {
        if (this.children.has(name)) return undefined;
        if (!(await stillRunning(entry))) {
          ledger.forget(name);
          return undefined;
        }
        this.o.log.warn({ service: name, pid: entry.pid }, 'stopping a service process left running by a previous agent');
        await stopGroup(entry.pid, this.o.stopGraceMs, REAP_MS, this.clock);
        ledger.forget(name);
        return name;
      }),
    );
    return stopped.filter((name): name is string => name !== undefined);
  }

  /** Every exit of a child, as it happens: for the supervisor, an exit it did not ask for is a health verdict. */
  onExit(listener: (name: string, exit: ProcessExit) => void): void {
    this.exitListeners.push(listener);
  }

  /** Stops every child this executor owns. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.children.keys()].map((name) => this.stopChild(name)));
  }

  private adopt(name: string, proc: ChildProcess): void {
    const log = this.o.log;
    const pid = proc.pid!;
    const startedAt = this.clock.now();
    let markExited!: () => void;
    const child: Child = {
      proc,
      pid,
      startedAt,
      running: true,
      stopping: false,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
      sample: { ticks: 0, at: startedAt },
    };
    void this.o.ledger?.record(name, pid);
    proc.once('exit', (code, sig) => {
      child.running = false;
      markExited();
      if (this.children.get(name) === child) this.o.ledger?.forget(name);
      // Said once, when it happens: a stop we asked for is routine, any other exit is news.
      if (child.stopping) log.debug({ service: name, pid, code, signal: sig }, 'service process stopped');
      else log.warn({ service: name, pid, code, signal: sig }, 'service process exited');
      const exit: ProcessExit = { code, signal: sig, at: this.clock.now(), expected: child.stopping };
      for (const listener of this.exitListeners) listener(name, exit);
    });
    proc.on('error', (err) => log.warn({ service: name, pid, err: err.message }, 'service process error'));
    // The children's output goes to the sink (src/output: bounded, per service), never to the agent's stdout;
    // without a sink, to the agent's log at debug, line by line (lines cut as the sink cuts them).
    for (const [stream, input] of [['stdout', proc.stdout], ['stderr', proc.stderr]] as const) {
      if (!input) continue;
      const writer = this.o.output?.(name, stream) ?? debugLines(log, name, stream);
      input.on('data', (chunk: Buffer) => writer.write(chunk));
      input.once('end', () => writer.end());
    }
    this.children.set(name, child);
  }

  private async exitWithin(child: Child, ms: number): Promise<boolean> {
    if (!child.running) return true;
    let cancel = (): void => {};
    const timedOut = new Promise<boolean>((resolve) => {
      cancel = this.clock.setTimeout(() => resolve(false), ms);
    });
    const exited = await Promise.race([child.exited.then(() => true), timedOut]);
    cancel();
    return exited;
  }
}

/** The output of a child as debug lines of the agent's log (an executor given no sink). */
function debugLines(log: Logger, service: string, stream: 'stdout' | 'stderr'): { write(chunk: Buffer): void; end(): void } {
  const splitter = new LineSplitter({ maxLineBytes: 4096, onLine: (line) => log.debug({ service, stream }, line) });
  return { write: (chunk) => splitter.write(chunk), end: () => splitter.end() };
}
