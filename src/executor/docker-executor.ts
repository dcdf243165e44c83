// The `docker` executor (CONTRACT section 12): a service with `container: {name}` is that Docker container,
// started, stopped and restarted through the Engine API; its `die` events are exits as a process's are.
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { executorFailed, SmaError } from '../errors.js';
import type { ContainerSpec, ServiceRecord } from '../model.js';
import { cpuPercentBetween, memoryWithoutCache } from '../docker/container-stats.js';
import { EngineError, EngineUnreachable, type CpuStats, type DockerEngine, type EngineEvent } from '../docker/engine-client.js';
import { EngineWatch } from '../docker/engine-watch.js';
import type { Executor, OutputSink, ProcessExit, ProcessMetrics } from './executor.js';
import { FrameDemuxer } from '../docker/container-logs.js';
import type { EventStream } from '../docker/engine-client.js';

export interface DockerExecutorOptions {
  engine: DockerEngine;
  /** SIGTERM, then SIGKILL after this long (Docker's `t`, whole seconds, at least 1). */
  stopGraceMs: number;
  log: Logger;
  clock?: Clock;
  /** Where containers' output goes (the service output); none: not attached. */
  output?: OutputSink;
}

interface Seen {
  running: boolean;
  startedAt?: number;
  /** The last CPU sample, so that cpuPercent is the use since the previous metrics call, as `docker stats` shows. */
  cpu?: CpuStats;
}

/** A die within this window of our own stop or restart is ours (the engine's event and our answer race). */
const OWN_ACTION_SLACK_MS = 100;

export class DockerExecutor implements Executor {
  readonly kind = 'docker';
  readonly canReboot = false;
  /** service name -> its container */
  private readonly followed = new Map<string, ContainerSpec>();
  /** container name -> what the engine last said of it */
  private readonly seen = new Map<string, Seen>();
  /** container name -> when our own stop or restart began, and ended (undefined while under way) */
  private readonly ownActions = new Map<string, { from: number; until?: number }>();
  private readonly exitListeners: Array<(name: string, exit: ProcessExit) => void> = [];
  private readonly reachabilityListeners: Array<(reachable: boolean, names: string[]) => void> = [];
  private readonly watch: EngineWatch;
  /** container name -> its attached log stream (one at a time; it ends when the container stops) */
  private readonly logStreams = new Map<string, Promise<EventStream | undefined>>();
  private readonly clock: Clock;

  constructor(private readonly o: DockerExecutorOptions) {
    this.clock = o.clock ?? systemClock;
    this.watch = new EngineWatch({
      engine: o.engine,
      log: o.log,
      onEvent: (e) => this.onEvent(e),
      onOpen: (wasLost) => this.reinspect(wasLost),
      onLost: () => {
        for (const l of this.reachabilityListeners) l(false, [...this.followed.keys()]);
      },
    });
  }

  follow(service: ServiceRecord): void {
    if (!service.container) return;
    this.followed.set(service.name, service.container);
    // The stream is opened with the first container to watch: a gateway without containers never touches the socket.
    this.watch.start();
  }

  unfollow(name: string): void {
    this.followed.delete(name);
  }

  refusal(service: ServiceRecord): string | undefined {
    return service.container ? undefined : `${service.name} has no container`;
  }

  async start(service: ServiceRecord): Promise<void> {
    const container = this.containerOf(service);
    const found = await this.supervisable(service, container.name);
    if (found.State.Running) return;
    await this.engineCall(() => this.o.engine.start(container.name));
    this.markRunning(container.name, this.clock.now());
  }

  async stop(service: ServiceRecord): Promise<void> {
    const container = this.containerOf(service);
    await this.own(container.name, () => this.engineCall(() => this.o.engine.stop(container.name, this.graceS())));
    this.seenOf(container.name).running = false;
  }

  async restart(service: ServiceRecord): Promise<void> {
    const container = this.containerOf(service);
    await this.supervisable(service, container.name);
    await this.own(container.name, () => this.engineCall(() => this.o.engine.restart(container.name, this.graceS())));
    this.markRunning(container.name, this.clock.now());
  }

  async metrics(service: ServiceRecord): Promise<ProcessMetrics | undefined> {
    const container = this.containerOf(service);
    const seen = this.seenOf(container.name);
    if (!seen.running) return undefined;
    // The first sample of a container waits for the engine's own second one; later ones compare with ours.
    const stats = await this.engineCall(() => this.o.engine.stats(container.name, seen.cpu !== undefined));
    const cpuPercent = cpuPercentBetween(seen.cpu ?? stats.precpu_stats, stats.cpu_stats);
    seen.cpu = stats.cpu_stats;
    const uptimeS = seen.startedAt !== undefined ? Math.max(0, Math.floor((this.clock.now() - seen.startedAt) / 1000)) : 0;
    return { cpuPercent, memoryBytes: memoryWithoutCache(stats), uptimeS };
  }

  isAlive(name: string): boolean | undefined {
    const container = this.followed.get(name);
    if (!container || this.watch.unreachable) return undefined;
    return this.seen.get(container.name)?.running;
  }

  reachable(): boolean {
    return !this.watch.unreachable;
  }

  async reboot(): Promise<void> {
    throw executorFailed('the Docker executor does not reboot the gateway');
  }

  onExit(listener: (name: string, exit: ProcessExit) => void): void {
    this.exitListeners.push(listener);
  }

  onReachability(listener: (reachable: boolean, names: string[]) => void): void {
    this.reachabilityListeners.push(listener);
  }

  /** Containers keep running when the agent stops: they are Docker's, not children of the agent. */
  async close(): Promise<void> {
    this.watch.close();
    for (const stream of this.logStreams.values()) void stream.then((s) => s?.close());
  }

  /** The container exists and may be supervised by us (its own restart policy is `no`, or allowed). */
  private async supervisable(service: ServiceRecord, container: string): Promise<{ State: { Running: boolean } }> {
    const found = await this.engineCall(() => this.o.engine.inspect(container));
    const policy = found.HostConfig.RestartPolicy?.Name ?? '';
    if (policy !== '' && policy !== 'no' && !service.container?.allowEngineRestart) {
      throw executorFailed(
        `container ${container} has Docker restart policy "${policy}": two supervisors would fight over it; set its restart policy to "no" or container.allowEngineRestart`,
      );
    }
    const seen = this.seenOf(container);
    seen.running = found.State.Running;
    if (found.State.Running) seen.startedAt = Date.parse(found.State.StartedAt);
    return found;
  }

  /** Runs our own stop or restart; a die the engine reports meanwhile is expected, not a verdict. */
  private async own<T>(container: string, fn: () => Promise<T>): Promise<T> {
    const mark = { from: this.clock.now() } as { from: number; until?: number };
    this.ownActions.set(container, mark);
    try {
      return await fn();
    } finally {
      mark.until = this.clock.now();
    }
  }

  private isOwn(container: string, at: number): boolean {
    const mark = this.ownActions.get(container);
    if (!mark) return false;
    return at >= mark.from - OWN_ACTION_SLACK_MS && (mark.until === undefined || at <= mark.until + OWN_ACTION_SLACK_MS);
  }

  private onEvent(e: EngineEvent): void {
    if (e.Type !== 'container') return;
    const container = e.Actor?.Attributes?.name;
    if (!container || !this.watched(container)) return;
    const at = e.timeNano ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000;
    if (e.Action === 'start') return this.markRunning(container, at);
    if (e.Action !== 'die') return;
    this.seenOf(container).running = false;
    this.seenOf(container).cpu = undefined;
    const code = Number(e.Actor?.Attributes?.exitCode ?? NaN);
    this.exited(container, { code: Number.isFinite(code) ? code : null, signal: null, at: this.clock.now(), expected: this.isOwn(container, at) });
  }

  /** After the stream (re)opened: what changed while nobody listened counts as if its events had come. */
  private async reinspect(wasLost: boolean): Promise<void> {
    const containers = new Set([...this.followed.values()].map((c) => c.name));
    await Promise.all(
      [...containers].map(async (container) => {
        const before = this.seen.get(container);
        let found;
        try {
          found = await this.o.engine.inspect(container);
        } catch (err) {
          if (err instanceof EngineError && err.statusCode === 404 && before?.running) {
            this.seenOf(container).running = false;
            this.exited(container, { code: null, signal: null, at: this.clock.now(), expected: false });
          }
          return;
        }
        const seen = this.seenOf(container);
        seen.running = found.State.Running;
        if (found.State.Running) {
          seen.startedAt = Date.parse(found.State.StartedAt);
          this.attachLogs(container);
        }
        if (before?.running && !found.State.Running) {
          this.exited(container, { code: found.State.ExitCode, signal: null, at: this.clock.now(), expected: false });
        }
      }),
    );
    if (wasLost) for (const l of this.reachabilityListeners) l(true, [...this.followed.keys()]);
  }

  private exited(container: string, exit: ProcessExit): void {
    const level = exit.expected ? 'debug' : 'warn';
    this.o.log[level]({ container, exitCode: exit.code }, exit.expected ? 'container stopped' : 'container exited');
    for (const [name, spec] of this.followed) {
      if (spec.name !== container) continue;
      for (const l of this.exitListeners) l(name, exit);
    }
  }

  private markRunning(container: string, at: number): void {
    const seen = this.seenOf(container);
    if (!seen.running) seen.cpu = undefined;
    seen.running = true;
    seen.startedAt = at;
    this.attachLogs(container);
  }

  /** The container's output from now on, to the service output of each service it runs as. */
  private attachLogs(container: string): void {
    const sink = this.o.output;
    if (!sink || this.logStreams.has(container)) return;
    const services = [...this.followed].filter(([, spec]) => spec.name === container).map(([name]) => name);
    if (services.length === 0) return;
    const writers = (stream: 'stdout' | 'stderr') => {
      const each = services.map((name) => sink(name, stream));
      return { write: (chunk: Buffer) => each.forEach((w) => w.write(chunk)), end: () => each.forEach((w) => w.end()) };
    };
    const attached = (async () => {
      const tty = (await this.o.engine.inspect(container)).Config?.Tty === true;
      const demux = new FrameDemuxer({ stdout: writers('stdout'), stderr: writers('stderr') });
      const onData = tty ? (chunk: Buffer) => demux.push(frame(chunk)) : (chunk: Buffer) => demux.push(chunk);
      return this.o.engine.logs(container, onData, () => {
        demux.end();
        this.logStreams.delete(container);
      });
    })().catch((err: unknown) => {
      this.logStreams.delete(container);
      this.o.log.debug({ container, err: String(err) }, 'cannot attach to the container\'s output');
      return undefined;
    });
    this.logStreams.set(container, attached);
  }

  private watched(container: string): boolean {
    for (const spec of this.followed.values()) if (spec.name === container) return true;
    return false;
  }

  private seenOf(container: string): Seen {
    let seen = this.seen.get(container);
    if (!seen) this.seen.set(container, (seen = { running: false }));
    return seen;
  }

  private containerOf(service: ServiceRecord): ContainerSpec {
    if (!service.container) throw executorFailed(`${service.name} has no container`);
    // Followed from the first action too: its events matter from now on.
    if (!this.followed.has(service.name)) this.follow(service);
    return service.container;
  }

  private graceS(): number {
    return Math.max(1, Math.ceil(this.o.stopGraceMs / 1000));
  }

  /** The engine's own words in EXECUTOR_FAILED, whether it answered with an error or could not be reached. */
  private async engineCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SmaError) throw err;
      if (err instanceof EngineError || err instanceof EngineUnreachable) throw executorFailed(err.message);
      throw executorFailed(err instanceof Error ? err.message : String(err));
    }
  }
}

/** A TTY container's raw output as one stdout frame, so one demuxer serves both kinds. */
function frame(chunk: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(chunk.length, 4);
  return Buffer.concat([header, chunk]);
}
