// `sma-bridge trust list [--level NONE|COMPLETE] [ID...]`.
import type { TrustView } from '../model.js';
import { askList, output, reportMissing, type ClientCommand } from './agent-request.js';
import { EXIT_OK, usageError } from './io.js';
import { renderTable, type Column } from './table.js';

const trustColumns: Column<TrustView>[] = [
  { header: 'ID', cell: (t) => t.id },
  { header: 'TRUST', cell: (t) => t.trustLevel },
  { header: 'DEVICE', cell: (t) => t.deviceLevel },
  { header: 'PLUGIN', cell: (t) => t.plugin },
  { header: 'PLUGIN-TRUST', cell: (t) => t.pluginLevel },
  { header: 'LAST-HEARTBEAT', cell: (t) => t.lastHeartbeatAt },
];

const LEVELS = ['NONE', 'COMPLETE'];

/** A usage error (exit 2) for anything but NONE or COMPLETE; the CLI checks it before connecting. */
export function trustLevelOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const level = value.toUpperCase();
  if (!LEVELS.includes(level)) throw usageError(`--level must be NONE or COMPLETE, not '${value}'`);
  return level;
}

export async function runTrust(cmd: ClientCommand): Promise<number> {
  const { args, io, values, client } = cmd;
  const level = trustLevelOf(values.level);
  const body = { ...(args.length > 0 ? { ids: args } : {}), ...(level ? { level } : {}) };
  const rows = args.length > 0 ? await askList<TrustView>(client, 'trust.get', body) : await allPages(client, body);
  output(io, values, rows, () => renderTable(trustColumns, rows));
  // With --level, a named device at the other level is rightly absent: only report unknown ids without it.
  return level ? EXIT_OK : reportMissing(io, 'device', args, new Set(rows.map((r) => r.id)));
}

/** The agent answers the whole fleet in pages of at most PAGE devices: ask until a short page. */
const PAGE = 10_000;
async function allPages(client: ClientCommand['client'], body: Record<string, unknown>): Promise<TrustView[]> {
  const rows: TrustView[] = [];
  for (let after = -1; ; ) {
    const page = await askList<TrustView>(client, 'trust.get', { ...body, limit: PAGE, after });
    rows.push(...page);
    if (page.length < PAGE) return rows;
    after = page[page.length - 1].instanceId;
  }
}
