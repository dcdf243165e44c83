// Which executor runs a service, decided in this one place from its registration (CONTRACT section 12):
// `start` -> the process executor, `container` -> Docker, neither -> the configured default (command, or none).
// The supervisor sees one Executor; every call is routed here.
import { executorFailed } from '../errors.js';
import type { ServiceRecord } from '../model.js';
import type { Executor, ProcessExit, ProcessMetrics } from './executor.js';

export interface ExecutorChoice {
  process: Executor;
  docker?: Executor;
  /** For services with neither `start` nor `container`: the command executor, or none. */
  fallback?: Executor;
  /** Reboot of the gateway: the configured executor's. */
  reboot: Executor;
}

/** The one rule. */
export function executorFor(service: Pick<ServiceRecord, 'start' | 'container'>, choice: ExecutorChoice): Executor | undefined {
  if (service.start) return choice.process;
  if (service.container) return choice.docker;
  return choice.fallback;
}

export function notRunBy(name: string): string {
  return `sma-bridge does not run ${name}: it was registered without a start command or container`;
}

export class ServiceExecutors implements Executor {
  readonly kind = 'per-service';
  /** The executor each tracked service was last routed to, for calls that carry only a name. */
  private readonly routes = new Map<string, Executor>();
  private readonly all: Executor[];

  constructor(private readonly choice: ExecutorChoice) {
    this.all = [...new Set([choice.process, choice.docker, choice.fallback].filter((e): e is Executor => e !== undefined))];
  }

  get canReboot(): boolean {
    return this.choice.reboot.canReboot;
  }

  reboot(): Promise<void> {
    return this.choice.reboot.reboot();
  }

  pidOf(name: string): number | undefined {
    return this.choice.process.pidOf?.(name);
  }

  refusal(service: ServiceRecord): string | undefined {
    const executor = executorFor(service, this.choice);
    if (!executor) return service.container ? 'no Docker executor is configured' : notRunBy(service.name);
    return executor.refusal?.(service);
  }

  follow(service: ServiceRecord): void {
    const next = executorFor(service, this.choice);
    const before = this.routes.get(service.name);
    if (before && before !== next) before.unfollow?.(service.name);
    if (!next) return void this.routes.delete(service.name);
    this.routes.set(service.name, next);
    next.follow?.(service);
  }

  unfollow(name: string): void {
    this.routes.get(name)?.unfollow?.(name);
    this.routes.delete(name);
  }

  async start(service: ServiceRecord): Promise<void> {
    return this.route(service).start(service);
  }

  async stop(service: ServiceRecord): Promise<void> {
    return this.route(service).stop(service);
  }

  async restart(service: ServiceRecord): Promise<void> {
    return this.route(service).restart(service);
  }

  async metrics(service: ServiceRecord): Promise<ProcessMetrics | undefined> {
    const executor = executorFor(service, this.choice);
    return executor ? executor.metrics(service) : undefined;
  }

  isAlive(name: string): boolean | undefined {
    return this.routes.get(name)?.isAlive(name);
  }

  reachable(name: string): boolean {
    return this.routes.get(name)?.reachable?.(name) ?? true;
  }

  onExit(listener: (name: string, exit: ProcessExit) => void): void {
    for (const executor of this.all) executor.onExit?.(listener);
  }

  onReachability(listener: (reachable: boolean, names: string[]) => void): void {
    for (const executor of this.all) executor.onReachability?.(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.all.map((e) => e.close()));
  }

  private route(service: ServiceRecord): Executor {
    const executor = executorFor(service, this.choice);
    if (!executor) throw executorFailed(this.refusal(service) ?? notRunBy(service.name));
    this.routes.set(service.name, executor);
    return executor;
  }
}
