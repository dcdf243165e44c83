// `sma-bridge services register NAME [--check CHECK] [--container NAME] [-- COMMAND ARG...]` and
// `services deregister NAME`: the registry.register / registry.deregister operations from a shell, so nobody
// hand-writes JSON for mosquitto_pub. The start command runs in the directory the command was typed in.
import { askObject, output, type ClientCommand } from './agent-request.js';
import type { OptionValues } from './argv.js';
import { EXIT_OK, usageError, writeLine } from './io.js';
import { renderTable, type Column } from './table.js';
import type { ServiceView } from '../model.js';

type Check = { type: 'http'; url: string } | { type: 'process' | 'heartbeat' | 'none' };

/** The registration the flags describe; a usage error (exit 2) before connecting when they do not fit. */
export function registrationOf(args: readonly string[], values: OptionValues, cwd = process.cwd()): Record<string, unknown> {
  const [name, ...command] = args;
  const container = values.container;
  if (command.length > 0 && container !== undefined) throw usageError('give a start command or --container, not both');
  const text = values.check ?? (command.length > 0 || container !== undefined ? 'process' : undefined);
  if (text === undefined) throw usageError(`'services register' needs --check (http://..., process, heartbeat or none) or a start command after --`);
  let check: Check;
  if (/^https?:\/\//.test(text)) check = { type: 'http', url: text };
  else if (text === 'process' || text === 'heartbeat' || text === 'none') check = { type: text };
  else throw usageError(`--check '${text}' is not http://..., https://..., process, heartbeat or none`);
  if (check.type === 'process' && command.length === 0 && container === undefined) throw usageError('--check process needs a start command after -- (or --container)');
  return {
    name,
    check,
    ...(command.length > 0 ? { start: { command: command[0], args: command.slice(1), cwd } } : {}),
    ...(container !== undefined ? { container: { name: container } } : {}),
  };
}

export async function runRegister(cmd: ClientCommand, columns: Column<ServiceView>[]): Promise<number> {
  const view = await askObject<ServiceView>(cmd.client, 'registry.register', registrationOf(cmd.args, cmd.values));
  output(cmd.io, cmd.values, view, () => renderTable(columns, [view]));
  if (!cmd.values.json && view.status !== 'RUNNING') writeLine(cmd.io.stdout, `registered; \`sma-bridge services start ${view.name}\` starts it`);
  return EXIT_OK;
}

export async function runDeregister(cmd: ClientCommand): Promise<number> {
  const result = await askObject<{ name: string }>(cmd.client, 'registry.deregister', { name: cmd.args[0] });
  output(cmd.io, cmd.values, result, () => `deregistered ${result.name}`);
  return EXIT_OK;
}
