// `sma-bridge services list|health|metrics|start|stop|restart`.
import type { BatchItem, HealthView, MetricsView, ServiceView } from '../model.js';
import { askList, output, reportMissing, type ClientCommand } from './agent-request.js';
import { formatAddress, formatBytes, formatClock, formatDuration, formatExit, formatPercent } from './cell-format.js';
import { EXIT_FAILED, EXIT_OK, writeLine } from './io.js';
import { runHistory, runLogs } from './watch-command.js';
import { runDeregister, runRegister } from './register-command.js';
import { runDeploy } from './deploy-command.js';
import { renderTable, type Column } from './table.js';

export const serviceColumns: Column<ServiceView>[] = [
  { header: 'NAME', cell: (s) => s.name },
  { header: 'STATUS', cell: (s) => (s.status === 'BACKOFF' && s.nextAttemptAt ? `BACKOFF until ${formatClock(s.nextAttemptAt)}` : s.status) },
  { header: 'HEALTH', cell: (s) => s.health },
  { header: 'RESTARTS', cell: (s) => s.restarts, align: 'right' },
  { header: 'SOURCE', cell: (s) => s.source },
  { header: 'ADDRESS', cell: (s) => formatAddress(s.host, s.port) },
  { header: 'POLICY', cell: (s) => s.restartPolicy },
  { header: 'LAST EXIT', cell: (s) => formatExit(s.exitCode, s.exitSignal, s.lastExitAt) },
];

const healthColumns: Column<HealthView>[] = [
  { header: 'NAME', cell: (h) => h.name },
  { header: 'HEALTH', cell: (h) => h.health },
  { header: 'CHECKED', cell: (h) => formatClock(h.checkedAt) },
  { header: 'DETAIL', cell: (h) => h.detail },
];

const metricsColumns: Column<MetricsView>[] = [
  { header: 'NAME', cell: (m) => m.name },
  { header: 'CPU%', cell: (m) => formatPercent(m.cpuPercent), align: 'right' },
  { header: 'MEMORY', cell: (m) => formatBytes(m.memoryBytes), align: 'right' },
  { header: 'UPTIME', cell: (m) => formatDuration(m.uptimeS), align: 'right' },
  { header: 'RESTARTS', cell: (m) => m.restarts, align: 'right' },
];

export const batchColumns: Column<BatchItem>[] = [
  { header: 'NAME', cell: (b) => b.name },
  { header: 'RESULT', cell: (b) => b.result },
  { header: 'STATUS', cell: (b) => b.status },
  { header: 'ERROR', cell: (b) => (b.error ? `${b.error.code}: ${b.error.message}` : undefined) },
];

/** A read of some services: the rows asked for, and exit 1 when a named one is missing. */
async function read<Row extends { name: string }>(
  cmd: ClientCommand,
  op: string,
  body: Record<string, unknown>,
  columns: Column<Row>[],
): Promise<number> {
  const { args, io, values, client } = cmd;
  const rows = (await askList<Row>(client, op, body)).filter((r) => args.length === 0 || args.includes(r.name));
  output(io, values, rows, () => renderTable(columns, rows));
  return reportMissing(io, 'service', args, new Set(rows.map((r) => r.name)));
}

async function batch(cmd: ClientCommand): Promise<number> {
  const { verb, args, io, values, client } = cmd;
  const body = values.all ? { all: true } : { names: args };
  const items = await askList<BatchItem>(client, `services.${verb}`, body);
  output(io, values, items, () => renderTable(batchColumns, items));
  const failed = items.filter((i) => i.result !== 'OK').map((i) => i.name);
  if (failed.length === 0) return EXIT_OK;
  writeLine(io.stderr, `sma-bridge: ${verb} failed for ${failed.join(', ')}`);
  return EXIT_FAILED;
}

export function runServices(cmd: ClientCommand): Promise<number> {
  const names = cmd.args.length > 0 ? { names: cmd.args } : {};
  switch (cmd.verb) {
    case 'list':
      // services.list takes no names: the agent lists all, the CLI keeps the ones asked for.
      return read(cmd, 'services.list', cmd.values['all-registered'] ? { includeDeregistered: true } : {}, serviceColumns);
    case 'health':
      return read(cmd, 'services.health', names, healthColumns);
    case 'metrics':
      return read(cmd, 'services.metrics', names, metricsColumns);
    case 'logs':
      return runLogs(cmd);
    case 'history':
      return runHistory(cmd);
    case 'register':
      return runRegister(cmd, serviceColumns);
    case 'deregister':
      return runDeregister(cmd);
    case 'deploy':
    case 'deployments':
    case 'rollback':
    case 'cancel':
      return runDeploy(cmd);
    default:
      return batch(cmd);
  }
}
