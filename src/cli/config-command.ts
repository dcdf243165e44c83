// `sma-bridge config get NAME [KEY...]` and `config set NAME KEY=VALUE...`.
import { askObject, output, type ClientCommand } from './agent-request.js';
import { flattenConfig, missingKeys, parseAssignments, pickKeys, topKeys } from './config-assignments.js';
import { EXIT_FAILED, EXIT_OK, writeLine } from './io.js';
import { renderTable, type Column } from './table.js';

type Config = Record<string, unknown>;

const rowColumns: Column<[string, string]>[] = [
  { header: 'KEY', cell: (r) => r[0] },
  { header: 'VALUE', cell: (r) => r[1] },
];

const configTable = (config: Config): string => renderTable(rowColumns, flattenConfig(config));

async function get(cmd: ClientCommand): Promise<number> {
  const [name, ...keys] = cmd.args;
  const body = keys.length > 0 ? { name, keys: topKeys(keys) } : { name };
  const answer = await askObject<{ name: string; config?: Config }>(cmd.client, 'config.get', body);
  // The agent filters top-level keys; dotted keys are narrowed here, for the table and the JSON alike.
  const config = keys.length > 0 ? pickKeys(answer.config ?? {}, keys) : (answer.config ?? {});
  const missing = missingKeys(answer.config ?? {}, keys);
  // Keys the service has are printed; one it lacks is a failure, never an empty table with exit 0.
  if (missing.length < keys.length || keys.length === 0) output(cmd.io, cmd.values, { ...answer, config }, () => configTable(config));
  if (missing.length === 0) return EXIT_OK;
  writeLine(cmd.io.stderr, `sma-bridge: NOT_FOUND: ${name} has no configuration key ${missing.join(', ')}`);
  return EXIT_FAILED;
}

async function set(cmd: ClientCommand): Promise<number> {
  const [name, ...assignments] = cmd.args;
  const patch = parseAssignments(assignments);
  const answer = await askObject<{ name: string; config?: Config; restartRequired?: boolean }>(cmd.client, 'config.set', {
    name,
    config: patch,
  });
  output(cmd.io, cmd.values, answer, () => configTable(answer.config ?? {}));
  if (!cmd.values.json && answer.restartRequired) writeLine(cmd.io.stdout, `${name} is running: restart it to apply the change`);
  return EXIT_OK;
}

export function runConfig(cmd: ClientCommand): Promise<number> {
  return cmd.verb === 'get' ? get(cmd) : set(cmd);
}
