// Sparkplug commands replayed by the broker (CONTRACT 14): a DCMD or NCMD left retained on the Sparkplug broker
// would reach every new session of the edge node, a stop or a rebirth at each reconnect, long after whoever
// sent it meant it. Only live commands run. Against Debian's mosquitto and the agent as a real process.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, ROOT, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { startLoggedMosquitto, type LoggedMosquitto } from '../support/mosquitto-log.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { SparkplugHost } from '../support/sparkplug-host.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
const run = hasPeer('mosquitto', 'mosquitto');

describe.runIf(run)('retained Sparkplug commands are never run', () => {
  let broker: LoggedMosquitto;
  let host: SparkplugHost;
  let agent: AgentProcess;
  let requester: MqttRequester;
  let workerPort: number;

  beforeAll(async () => {
    broker = await startLoggedMosquitto();
    host = await SparkplugHost.connect(broker.url, 'plant', 'gw-replay');
    // Left on the broker before the edge node's session: delivered to it, retained, when it subscribes.
    await host.dcmd('worker', [{ name: 'Device Control/Stop', type: 'Boolean', value: true }], { retain: true });
    await host.ncmd([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }], { retain: true });
    workerPort = await freePort();
    agent = await startAgent({
      agent: { id: 'gw-replay' },
      health: { intervalMs: 300, timeoutMs: 500 },
      services: [{ name: 'worker', check: { type: 'process' }, start: { command: process.execPath, args: [SIM, '--port', String(workerPort), '--name', 'worker'] } }],
      sparkplug: { url: broker.url, groupId: 'plant', primaryHostId: 'scada' },
    });
    requester = await MqttRequester.forAgent(agent);
  }, 60_000);

  afterAll(async () => {
    await requester?.close();
    await agent?.stop();
    await host?.close();
    await broker?.stop();
    if (workerPort) killAll(`--port ${workerPort}`);
  });

  const status = async (): Promise<string | undefined> => ((await requester.request('services.list')).result as Array<{ name: string; status: string }>).find((s) => s.name === 'worker')?.status;

  const logged = (msg: string): Array<Record<string, unknown>> => agent.logs().filter((l) => l.msg === msg);

  it('ignores a retained DCMD and NCMD at each new session, the service known (logged once), then runs a live DCMD', async () => {
    await host.state('scada', { online: true, timestamp: Date.now() });
    await waitFor('DBIRTH worker', () => host.of('DBIRTH', 'worker')[0]);
    await waitFor('worker RUNNING', async () => (await status()) === 'RUNNING');
    // A second session, the worker a known device by now: the broker hands it the retained commands again.
    const from = host.mark();
    await host.state('scada', { online: false, timestamp: Date.now() });
    await waitFor('second session open', () => logged('sparkplug session open').find((l) => l.bdSeq === 1));
    await host.state('scada', { online: true, timestamp: Date.now() });
    await waitFor('births of the second session', () => host.seen.slice(from).find((x) => x.verb === 'DBIRTH' && x.device === 'worker'));
    const [pid] = pidsWithArg(`--port ${workerPort}`);
    expect(pid).toBeDefined();
    // A live command after the retained ones, on the same connection: by the time it has run, they were decided.
    await host.dcmd('worker', [{ name: 'Device Control/Restart', type: 'Boolean', value: true }]);
    await waitFor('a new worker process from the live DCMD', () => {
      const now = pidsWithArg(`--port ${workerPort}`);
      return now.length === 1 && now[0] !== pid;
    });
    await waitFor('worker RUNNING after the live DCMD', async () => (await status()) === 'RUNNING');
    expect(logged('sparkplug command done').map((l) => l.op)).toEqual(['services.restart']);
    // One NBIRTH per session: the retained rebirth did not run.
    expect(host.of('NBIRTH')).toHaveLength(2);
    expect(agent.logs().filter((l) => l.kind === 'retained-command' && l.level === 40)).toHaveLength(1);
  });
});
