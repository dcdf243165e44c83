// The executors of one agent, built from the configuration: the process executor always (services with `start`),
// the command executor when it is the configured default, and one ServiceExecutors that routes each service.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { ChildLedger } from './child-ledger.js';
import { CommandExecutor } from './command-executor.js';
import type { Executor, OutputSink } from './executor.js';
import { ProcessExecutor } from './process-executor.js';
import { ServiceExecutors } from './service-executors.js';
import { DockerExecutor } from './docker-executor.js';
import { DockerEngine } from '../docker/engine-client.js';

export async function openExecutors(config: Config, log: Logger, output?: OutputSink): Promise<ServiceExecutors> {
  const exec = config.executor;
  const ledger = new ChildLedger(join(config.dataDir, 'children.json'), log);
  const stopGraceMs = exec.type === 'process' ? exec.stopGraceMs : 5_000;
  const processes = new ProcessExecutor({ stopGraceMs, reboot: exec.type === 'process' ? exec.reboot : undefined, log, ledger, output });
  // Before the supervisor looks: a previous agent's orphans would otherwise run twice.
  await processes.stopOrphans();
  const command: Executor | undefined = exec.type === 'command' ? new CommandExecutor({ ...exec, log }) : undefined;
  // Touches the socket only once a service names a container.
  const docker = new DockerExecutor({ engine: new DockerEngine(exec.docker.socket), stopGraceMs: exec.docker.stopGraceMs, log: log.child({ executor: 'docker' }), output });
  return new ServiceExecutors({ process: processes, docker, fallback: command, reboot: command ?? processes });
}
