// Issue 4 end-to-end benchmark: firmware-sim drives the real agent (dist/main.js) with heartbeats through the
// embedded broker and through mosquitto, in the same run: sustained heartbeats/s with trust tracking, the
// lateness of timeout events after their deadlines, the agent's CPU and RSS.
//   npm run build && node bench/trust-mqtt.js [--devices N] [--rate R] [--duration S] [--update-benchmarks]
// Sim, agent and broker share the machine's cores, as they would on a gateway under test.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent, startMosquitto, rssBytes, ROOT } from './_agent-process.js';
import { runFleet } from '../firmware-sim/fleet/fleet.js';
import { parseFleetArgs } from '../firmware-sim/fleet/options.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '60000' },
    duration: { type: 'string', default: '30' },
    'timeout-ms': { type: 'string', default: '10000' },
    'update-benchmarks': { type: 'boolean', default: false },
  },
});
const MB = 1024 * 1024;
const cpuSeconds = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function drive(label, agent, url) {
  const argv = ['--broker', url, '--topic-root', agent.topicRoot, '--devices', values.devices, '--rate', values.rate, '--connections', '2',
    '--duration', values.duration, '--silent-fraction', '0.1', '--silent-after', '5', '--timeout-ms', values['timeout-ms'], '--settle', '3'];
  const cpu0 = cpuSeconds(agent.child.pid);
  const summary = await runFleet(parseFleetArgs(argv), { warn: (l) => process.stderr.write(`${l}\n`) });
  const agentCpu = (cpuSeconds(agent.child.pid) - cpu0) / (summary.durationS + 3);
  const rss = rssBytes(agent.child.pid) / MB;
  const result = { label, ...summary, agentCpuPercent: agentCpu * 100, agentRssMB: rss };
  process.stdout.write(`${label}: ${JSON.stringify(result)}\n`);
  return result;
}

const trust = { heartbeatTimeoutMs: Number(values['timeout-ms']), pluginCheckIntervalMs: 30_000 };
const results = [];
{
  const a = await startAgent({ trust, registry: { type: 'none' } });
  results.push(await drive('embedded (aedes)', a, `mqtt://127.0.0.1:${a.ready.mqttPort}`));
  await a.stop();
}
// mosquitto keeps at most 1000 queued QoS 1 messages per client by default and drops the rest: a burst of
// 10 000 timeout events to one slow subscriber would lose events on the way to the sim, not in the agent.
const mosquitto = await startMosquitto('max_queued_messages 0');
if (mosquitto) {
  const b = await startAgent({ trust, registry: { type: 'none' }, mqtt: { mode: 'external', url: mosquitto.url } });
  results.push(await drive('mosquitto 2.0', b, mosquitto.url));
  await b.stop();
  mosquitto.stop();
}

const rows = results.map((r) => {
  const ok = r.noneAtEnd === r.silentDevices && r.events.total === r.silentDevices ? 'yes' : `no (${r.events.total} events)`;
  const late = r.lateness ? `${fmt(r.lateness.p50Ms)} / ${fmt(r.lateness.p99Ms)} / ${fmt(r.lateness.maxMs)} ms` : 'n/a';
  return `| ${r.label} | ${fmt(r.achievedRate)}/s (target ${fmt(r.targetRate)}) | ${ok} | ${late} | ${fmt(r.agentCpuPercent)} % | ${fmt(r.agentRssMB)} MB |`;
});
const section = `### End to end through a broker (bench/trust-mqtt.js)

Command: \`npm run build && node bench/trust-mqtt.js --devices ${values.devices} --rate ${values.rate} --duration ${values.duration}\`
(firmware-sim in-process with 2 MQTT connections, QoS 0 heartbeats; the agent from dist/main.js with
\`trust.heartbeatTimeoutMs\` ${values['timeout-ms']}; 10 % of the devices go silent after 5 s; sim, agent and broker share
the machine; mosquitto with \`max_queued_messages 0\`, as its default of 1000 drops bursts of QoS 1 events to a
slow subscriber). "Exactly one event each" means every silent device gave one NONE event and no beating
device gave any.

| broker | heartbeats sustained | exactly one event each | timeout event after deadline p50 / p99 / max | agent CPU | agent RSS at end |
|---|---|---|---|---|---|
${rows.join('\n')}

Lateness is counted by the sim from the moment it sent a device's last heartbeat, so it includes that
heartbeat's way through the sim's socket, the broker and the agent's MQTT client while all three compete for
the two cores; the tracker's own part is the 70-150 ms of the table above. It varies from run to run.
Agent RSS here is the whole agent under the load (broker, MQTT parsing, V8's heap grown by 60 000
messages/s), not the tracker's share, which is about 20 MB per 100 000 devices (the table above): the
<= 120 MB goal at 100 000 devices is met by the tracker but not by the whole agent under this load.
`;
process.stdout.write(`\n${section}`);

if (values['update-benchmarks']) {
  const file = join(ROOT, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const head = text.indexOf('### End to end through a broker (bench/trust-mqtt.js)');
  if (head < 0) throw new Error('run bench/trust.js --update-benchmarks first: it writes the section this one goes into');
  const next = text.indexOf('\n#', head + 4);
  writeFileSync(file, text.slice(0, head) + section + (next < 0 ? '' : text.slice(next + 1)));
}
