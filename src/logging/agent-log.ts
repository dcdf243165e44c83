// The agent's logger: JSON lines for journald, files and programs; on a terminal, readable lines through
// pino-pretty (pino's own formatter), loaded only then: it and its dependencies cost resident memory a
// gateway under systemd (stdout not a TTY) should not pay (BENCHMARKS.md, idle RSS).
import type { Logger, LoggerOptions } from 'pino';
import { requireCommonJs } from '../commonjs.js';
import type { Config } from '../config/schema.js';
import { terminalSafeJson } from '../terminal-text.js';
import { readableLine } from './readable-record.js';

const { pino } = requireCommonJs('pino') as typeof import('pino');

/** One time format for people, everywhere (logs, CLI tables, the page): local time, to the second or better. */
export const PRETTY_TIME = 'SYS:yyyy-mm-dd HH:MM:ss.l';

export function prettyWanted(format: Config['log']['format'], stdoutIsTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}

export function agentLogger(config: Pick<Config, 'log' | 'agent'>, stdoutIsTty = process.stdout.isTTY === true): Logger {
  const options: LoggerOptions = { level: config.log.level, base: { agent: config.agent.id } };
  // JSON escapes C0 itself; DEL and C1 as \u escapes too, for `journalctl -o cat` on a terminal.
  if (!prettyWanted(config.log.format, stdoutIsTty)) return pino({ ...options, hooks: { streamWrite: terminalSafeJson } });
  const { PinoPretty } = requireCommonJs('pino-pretty') as typeof import('pino-pretty');
  return pino(
    // Untrusted text (service output, device ids, topics, client ids) shown escaped, never acted on.
    { ...options, hooks: { streamWrite: readableLine } },
    PinoPretty({
      // Synchronous: the last lines before process.exit (a bad port, a stop) must reach the terminal.
      sync: true,
      translateTime: PRETTY_TIME,
      ignore: 'pid,hostname,agent,part',
      messageFormat: '{if part}[{part}] {end}{msg}',
      singleLine: true,
    }),
  );
}
