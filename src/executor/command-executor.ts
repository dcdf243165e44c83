// The `command` executor: an EdgeX-style executor (`path <name> <start|stop|restart|metrics>`) or per-action
// argv templates. Names reach it only after validation and only as separate arguments, never through a shell.
import type { Logger } from 'pino';
import { executorFailed } from '../errors.js';
import { SERVICE_NAME, type ServiceRecord } from '../model.js';
import type { Executor, ProcessMetrics } from './executor.js';
import { runArgv, type RunResult } from './run-argv.js';

type Action = 'start' | 'stop' | 'restart' | 'metrics';

/** The config's `executor` section of type `command`, plus a logger. */
export interface CommandExecutorOptions {
  type?: 'command';
  path?: string;
  start?: string[];
  stop?: string[];
  restart?: string[];
  metrics?: string[];
  reboot?: string[];
  timeoutMs: number;
  log: Logger;
}

export class CommandExecutor implements Executor {
  readonly kind = 'command';

  constructor(private readonly o: CommandExecutorOptions) {}

  get canReboot(): boolean {
    return this.o.reboot !== undefined;
  }

  async start(service: ServiceRecord): Promise<void> {
    await this.run('start', service.name);
  }

  async stop(service: ServiceRecord): Promise<void> {
    await this.run('stop', service.name);
  }

  async restart(service: ServiceRecord): Promise<void> {
    await this.run('restart', service.name);
  }

  /** The executor prints JSON `{cpuUsedPercent, memoryUsed}` (EdgeX's metrics result); no metrics command: undefined. */
  async metrics(service: ServiceRecord): Promise<ProcessMetrics | undefined> {
    if (!this.argv('metrics', service.name)) return undefined;
    const { stdout } = await this.run('metrics', service.name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(stdout.trim());
    } catch {
      throw executorFailed(`metrics of ${service.name}: not JSON`);
    }
    const fields = (parsed ?? {}) as Record<string, unknown>;
    return { cpuPercent: numberOf(fields.cpuUsedPercent), memoryBytes: Math.round(numberOf(fields.memoryUsed)), uptimeS: 0 };
  }

  /** A command executor cannot see processes. */
  isAlive(): undefined {
    return undefined;
  }

  async reboot(): Promise<void> {
    if (!this.o.reboot) throw executorFailed('no reboot command configured');
    this.o.log.warn({ argv: this.o.reboot }, 'rebooting the gateway');
    await runArgv(this.o.reboot, this.o.timeoutMs);
  }

  async close(): Promise<void> {
    /* owns nothing between calls */
  }

  private async run(action: Action, name: string): Promise<RunResult> {
    const argv = this.argv(action, name);
    if (!argv) throw executorFailed(`no ${action} command configured`);
    this.o.log.debug({ service: name, action, argv }, 'running executor');
    return runArgv(argv, this.o.timeoutMs);
  }

  /** The argv for an action; the name is checked here again (defence in depth: it is about to leave the agent). */
  private argv(action: Action, name: string): string[] | undefined {
    if (!SERVICE_NAME.test(name)) throw executorFailed(`refused service name ${JSON.stringify(name.slice(0, 80))}`);
    const template = this.o[action];
    // `{name}` may sit inside an element (`{name}.service`); the element stays one argument either way.
    if (template) return template.map((part) => part.split('{name}').join(name));
    if (this.o.path) return [this.o.path, name, action];
    return undefined;
  }
}

function numberOf(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}
