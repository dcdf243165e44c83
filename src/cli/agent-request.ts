// What every client command shares: open the connection, ask one operation, report the answer's failure.
import { AgentClient } from './agent-client.js';
import type { DiscoveryTimings } from './agent-discovery.js';
import { clientOptionsFrom } from './client-options.js';
import { localAgent } from './local-agent.js';
import type { OptionValues } from './argv.js';
import { CliError, EXIT_FAILED, EXIT_OK, writeJson, writeLine, writeLines, type CliIo } from './io.js';

/** What a client command is called with; `client` is connected to the agent to ask. */
export interface ClientCommand {
  verb: string;
  args: string[];
  values: OptionValues;
  io: CliIo;
  client: AgentClient;
}

/** Runs `command` with a connected client, closing it whatever happens. */
export async function withAgent(
  values: OptionValues,
  command: (client: AgentClient) => Promise<number>,
  timings?: DiscoveryTimings,
): Promise<number> {
  const client = await AgentClient.open(clientOptionsFrom(values, await localAgent(values)), timings);
  try {
    return await command(client);
  } finally {
    await client.close();
  }
}

/** The result of one operation; an `ok: false` answer becomes `CODE: message` (exit 1). */
export async function ask(client: AgentClient, op: string, body: Record<string, unknown>): Promise<unknown> {
  const reply = await client.request(op, body);
  if (!reply.ok) throw new CliError(`${reply.error.code}: ${reply.error.message}`);
  return reply.result;
}

export async function askList<T>(client: AgentClient, op: string, body: Record<string, unknown>): Promise<T[]> {
  const result = await ask(client, op, body);
  if (!Array.isArray(result)) throw new CliError(`agent ${client.label} answered ${op} with something that is not a list`);
  return result as T[];
}

export async function askObject<T>(client: AgentClient, op: string, body: Record<string, unknown>): Promise<T> {
  const result = await ask(client, op, body);
  if (typeof result !== 'object' || result === null) throw new CliError(`agent ${client.label} answered ${op} with something that is not an object`);
  return result as T;
}

/** The table for people or the raw JSON for programs. */
export function output(io: CliIo, values: OptionValues, raw: unknown, table: () => string): void {
  if (values.json) writeJson(io.stdout, raw);
  else writeLines(io.stdout, table());
}

/** Names asked for that the answer lacks: one line on stderr and exit 1 (never a silent success). */
export function reportMissing(io: CliIo, kind: string, requested: readonly string[], found: ReadonlySet<string>): number {
  const missing = requested.filter((n) => !found.has(n));
  if (missing.length === 0) return EXIT_OK;
  writeLine(io.stderr, `sma-bridge: NOT_FOUND: no ${kind} named ${missing.join(', ')}`);
  return EXIT_FAILED;
}
