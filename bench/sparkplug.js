// Issue 26 benchmark: the Sparkplug edge node.
// Run: npm run build && node bench/sparkplug.js   (SAMPLES=n, SERVICES=n, DEVICES=n to change the sizes)
// 1. A service's state change (SIGKILL of its process) to its DDATA at a Sparkplug host, beside the same
//    change's first R/event/service message in the same run: the agent's MQTT front on the same mosquitto
//    (external mode), so both paths cross the same broker. Goal: DDATA within 2x of R/event/service.
// 2. NBIRTH + DBIRTHs after an NCMD Rebirth: bytes and time to the last DBIRTH, for SERVICES services, and
//    with trustDevices for DEVICES tracked devices (heartbeats over MQTT first).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { decodePayload, encodePayload } from '../dist/sparkplug/payload.js';
import { startAgent, startMosquitto, percentile, freePort, sleep, ROOT } from './_agent-process.js';

const samples = Number(process.env.SAMPLES ?? 50);
const serviceCount = Number(process.env.SERVICES ?? 100);
const deviceCount = Number(process.env.DEVICES ?? 10_000);
// Whatever happens, the agents and the broker started here do not outlive the bench.
const started = [];
process.on('exit', () => started.forEach((p) => p.kill('SIGTERM')));
process.on('uncaughtException', (err) => {
  console.error(err);
  process.exit(1);
});
const broker = await startMosquitto();
if (!broker) process.exit(0);
started.push({ kill: () => broker.stop() });
const launch = async (config) => {
  const agent = await startAgent(config);
  started.push(agent.child);
  return agent;
};
const r = (v) => Math.round(v * 10) / 10;
const stats = (xs) => {
  xs.sort((x, y) => x - y);
  return { p50Ms: r(percentile(xs, 50)), p99Ms: r(percentile(xs, 99)), maxMs: r(xs.at(-1)) };
};
const waitUntil = async (what, probe, ms = 60_000) => {
  if (process.env.BENCH_VERBOSE) process.stderr.write(`waiting for ${what}\n`);
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(2);
  }
};

/** A Sparkplug host on mosquitto: every message under the group with its arrival time and size. */
async function host(group) {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  client.stream.setNoDelay(true);
  const seen = [];
  client.on('message', (topic, payload) => {
    const [, , verb, , device] = topic.split('/');
    seen.push({ at: performance.now(), verb, device, bytes: payload.length, payload });
  });
  await client.subscribeAsync(`spBv1.0/${group}/#`, { qos: 0 });
  return { client, seen };
}

// --- 1. state change to DDATA, beside R/event/service ---
const port = await freePort();
const h = await host('bench');
const a = await launch({
  mqtt: { mode: 'external', url: broker.url, protocolVersion: 4 },
  // Every sample is a crash: no back-off growth, no giving up.
  health: { restartDelayMs: 50, backoffMaxMs: 50, maxRestarts: 1_000_000, intervalMs: 60_000 },
  services: [{ name: 'svc', check: { type: 'process' }, start: { command: process.execPath, args: [join(ROOT, 'firmware-sim/service.js'), '--port', String(port)] } }],
  sparkplug: { url: broker.url, groupId: 'bench' },
});
const events = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
events.stream.setNoDelay(true);
const eventsSeen = [];
events.on('message', (topic, payload) => eventsSeen.push({ at: performance.now(), e: JSON.parse(payload.toString()) }));
await events.subscribeAsync(`${a.topicRoot}/event/service/svc`, { qos: 1 });
const statusAtHost = () => {
  let status;
  for (const s of h.seen) if (s.device === 'svc' && (s.verb === 'DBIRTH' || s.verb === 'DDATA')) status = decodePayload(s.payload).metrics.find((m) => m.name === 'Status')?.value ?? status;
  return status;
};
await waitUntil('svc RUNNING', () => statusAtHost() === 'RUNNING');
const toEvent = [];
const toDdata = [];
for (let i = 0; i < samples; i++) {
  const pid = Number(execFileSync('sh', ['-c', `pgrep -f -- '--port ${port}$' | head -1`]).toString().trim());
  const fromEvent = eventsSeen.length;
  const fromHost = h.seen.length;
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  await waitUntil('event', () => eventsSeen.length > fromEvent);
  await waitUntil('DDATA', () => h.seen.slice(fromHost).some((s) => s.verb === 'DDATA' && s.device === 'svc'));
  toEvent.push(eventsSeen[fromEvent].at - killedAt);
  toDdata.push(h.seen.slice(fromHost).find((s) => s.verb === 'DDATA' && s.device === 'svc').at - killedAt);
  await waitUntil('running again', () => statusAtHost() === 'RUNNING' && eventsSeen.slice(fromEvent).some((x) => x.e.type === 'STATUS' && x.e.to === 'RUNNING'));
  await sleep(20);
}
await events.endAsync();
await h.client.endAsync();
await a.stop();
execFileSync('sh', ['-c', `pkill -f -- '--port ${port}$' || true`]);
const e = stats(toEvent);
const d = stats(toDdata);

// --- 2. births after a rebirth ---
async function births(label, config, track) {
  const hh = await host(label);
  const agent = await launch(config);
  await track?.(agent);
  const count = 1 + (config.services?.length ?? 0) + (track ? deviceCount : 0);
  const isBirth = (s) => s.verb === 'NBIRTH' || s.verb === 'DBIRTH';
  // The start's own births (and, with devices, the DBIRTHs as they were found) are in before the rebirth.
  await waitUntil('first births', () => hh.seen.filter(isBirth).length >= count, 120_000);
  await sleep(200);
  const from = hh.seen.length;
  const rebirth = encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true, timestamp: Date.now() }] });
  const t0 = performance.now();
  await hh.client.publishAsync(`spBv1.0/${label}/NCMD/bench`, rebirth, { qos: 1 });
  await waitUntil(`${count} births`, () => hh.seen.slice(from).filter(isBirth).length >= count, 120_000);
  const got = hh.seen.slice(from).filter(isBirth);
  const result = { births: got.length, bytes: got.reduce((n, s) => n + s.bytes, 0), nbirthBytes: got[0].bytes, msToLastBirth: r(got.at(-1).at - t0) };
  await hh.client.endAsync();
  await agent.stop();
  return result;
}
const services = Array.from({ length: serviceCount }, (_, i) => ({ name: `s${i}`, check: { type: 'none' } }));
const hundred = await births('b100', { sparkplug: { url: broker.url, groupId: 'b100' }, services });
const devices = await births('bdev', { sparkplug: { url: broker.url, groupId: 'bdev', trustDevices: true }, health: { intervalMs: 500 } }, async (agent) => {
  // Tracked once the node counts them (NDATA Agent/Devices, polled every health.intervalMs).
  const watch = await host('bdev');
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.ready.mqttPort}`, { protocolVersion: 4 });
  for (let i = 0; i < deviceCount; i++) {
    const sent = c.publishAsync(`${agent.topicRoot}/heartbeat/device/d${i}`, '', { qos: 0 });
    if (i % 500 === 499) await sent; // keeps the bench's own socket from queueing 10 000 writes
  }
  await c.endAsync();
  await waitUntil('devices tracked', () => watch.seen.some((s) => s.verb === 'NDATA' && decodePayload(s.payload).metrics.some((m) => m.name === 'Agent/Devices' && m.value === deviceCount)), 120_000);
  await watch.client.endAsync();
});
broker.stop();

console.log(JSON.stringify({
  stateChange: { samples, rEventService: e, ddata: d, ddataOverEventP50: r(d.p50Ms / e.p50Ms), ddataOverEventP99: r(d.p99Ms / e.p99Ms), goal: 'DDATA within 2x of R/event/service', loadAverage1m: r(loadavg()[0]) },
  birthsServices: { services: serviceCount, ...hundred },
  birthsTrustDevices: { devices: deviceCount, ...devices },
}, null, 2));
