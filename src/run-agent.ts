// `sma-bridge start` as a process: configuration errors, signals, the agent's own stop and restart, exit codes.
import { spawn } from 'node:child_process';
import { Agent } from './agent.js';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { agentLogger } from './logging/agent-log.js';
import { portInUse } from './logging/start-failure.js';
import { SystemdNotifier, systemdNotifyBinary } from './systemd/notify.js';
import { terminalText } from './terminal-text.js';

/** EX_TEMPFAIL: what the systemd unit (packaging/) is told to restart on (RestartForceExitStatus). */
export const RESTART_ME = 75;
/** A stop that has not finished by then (a stuck library, a broker that never answers) ends the process anyway. */
export const STOP_DEADLINE_MS = 9_000;

/** `sma-bridge start`: runs until SIGTERM/SIGINT; exit 2 on bad configuration. */
export async function runAgent(options: { configPath?: string }): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(options.configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`sma-bridge: config: ${terminalText(line)}\n`);
      return 2;
    }
    throw err;
  }
  const log = agentLogger(config);
  const agent = new Agent(config, log);
  const systemd = new SystemdNotifier({ env: process.env, pid: process.pid, send: systemdNotifyBinary(process.pid), log });
  const stop = (reason: string) => Promise.all([systemd.stopping(), agent.stop(reason)]).then(() => undefined);
  const exit = (code: number) => stop('exit').finally(() => process.exit(code));
  const self = {
    stop: async () => {
      await exit(0);
    },
    restart: async () => {
      await stop('restart requested');
      // Under systemd a detached successor would die with our cgroup: exit with the status the unit restarts on.
      if (process.env.INVOCATION_ID) process.exit(RESTART_ME);
      // Elsewhere it re-executes itself with the same arguments; the new process takes over once the ports are free.
      spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { detached: true, stdio: 'inherit' }).unref();
      process.exit(0);
    },
  };
  try {
    await agent.start(self);
  } catch (err) {
    await agent.stop('start failed');
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`sma-bridge: config: ${terminalText(line)}\n`);
      return 2;
    }
    const taken = portInUse(err, config);
    if (taken) {
      // No stack trace for a busy port: the one line says what to do.
      log.fatal({ address: taken.address, port: taken.port, key: taken.key }, taken.text);
      process.stderr.write(`sma-bridge: cannot start: ${terminalText(taken.text)}\n`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    log.fatal({ err }, 'start failed');
    process.stderr.write(`sma-bridge: cannot start: ${terminalText(message)}\n`);
    return 1;
  }
  await systemd.ready(`ready: mqtt port ${agent.mqttPort ?? 'external'}, http port ${agent.httpPort}`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      // In-flight commands are journaled already: cutting a stuck stop short loses nothing.
      setTimeout(() => {
        log.error({ signal, deadlineMs: STOP_DEADLINE_MS }, 'stop did not finish in time; exiting anyway');
        process.exit(1);
      }, STOP_DEADLINE_MS).unref();
      void stop(signal).then(resolve);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  // Everything was closed in order; a library handle left open must not keep a stopped agent alive.
  process.exit(0);
}
