// `sma-bridge agent info`.
import { askObject, output, type ClientCommand } from './agent-request.js';
import { formatDuration } from './cell-format.js';
import { EXIT_OK } from './io.js';
import { renderTable, type Cell } from './table.js';

interface AgentInfoView {
  agentId?: string;
  version?: string;
  uptimeS?: number;
  registry?: string;
  services?: number;
  devices?: number;
  pid?: number;
  dataDir?: string;
  mqttPort?: number;
  httpPort?: number;
}

export async function runAgentInfo(cmd: ClientCommand): Promise<number> {
  const info = await askObject<AgentInfoView>(cmd.client, 'agent.info', {});
  const rows: Array<[string, Cell]> = [
    ['agent', info.agentId],
    ['version', info.version],
    ['uptime', formatDuration(info.uptimeS)],
    ['registry', info.registry],
    ['services', info.services],
    ['devices', info.devices],
    // Which process answered: two checkouts on one machine may run agents of the same id.
    ['pid', info.pid],
    ['dataDir', info.dataDir],
    ['ports', [info.mqttPort !== undefined ? `mqtt ${info.mqttPort}` : undefined, info.httpPort !== undefined ? `http ${info.httpPort}` : undefined].filter(Boolean).join(', ') || undefined],
    ['broker', cmd.client.brokerUrl],
  ];
  output(cmd.io, cmd.values, info, () =>
    renderTable([{ header: 'FIELD', cell: (r: [string, Cell]) => r[0] }, { header: 'VALUE', cell: (r: [string, Cell]) => r[1] }], rows, {
      header: false,
    }),
  );
  return EXIT_OK;
}
