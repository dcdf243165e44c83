// Issue 28 soak: a gateway's day in miniature. The agent (dist/main.js, embedded broker, LevelDB registry)
// supervises 20 services (4 of them crash every 150 s), 2 000 devices beat 1 000 times a second with a tenth
// cycling silent (30 s silent, 30 s beating, against a 10 s heartbeat timeout: a NONE and a COMPLETE event
// per cycle), while an operator lists the services every 100 ms, restarts one every 5 s, writes a KV key and
// scrapes /metrics every second. Every 30 s: the agent's RSS, V8 heap, open fds and dataDir size, one JSON
// line each on stdout and in --out. At the end: the RSS and heap growth per hour after --settle minutes
// (least squares), errors, and the counts of what was done.
//   npm run build && node bench/soak.js [--minutes 120] [--settle 30] [--out FILE] [--agent-env K=V ...]
// `npm run bench` skips it (two hours); `SMA_BENCH_SOAK=1 npm run bench` or `node bench/run.js soak` runs it.
// `--agent-env MALLOC_ARENA_MAX=2` runs the agent with that variable, to tell native allocators' growth apart.
import { appendFileSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { agentClient, rssBytes, sleep, startAgent } from './_agent-process.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '120' },
    settle: { type: 'string', default: '30' },
    out: { type: 'string', default: `/tmp/sma-soak-${Date.now()}.jsonl` },
    'agent-env': { type: 'string', multiple: true, default: [] },
  },
});
const MINUTES = Number(values.minutes);
const SETTLE_MIN = Number(values.settle);
const DEVICES = 2000;
const BEATS_PER_S = 1000;
const SILENT_EVERY = 10; // every tenth device cycles silent
const CYCLE_MS = 60_000; // 30 s silent, 30 s beating
const MB = 1024 * 1024;

for (const kv of values['agent-env']) {
  const [k, ...v] = kv.split('=');
  process.env[k] = v.join('=');
}
// The bench's own environment goes to the agent (startAgent drops SMA_ variables only).
const sh = (script) => ({ command: '/bin/sh', args: ['-c', script] });
const services = Array.from({ length: 20 }, (_, i) => ({
  name: `soak-${i}`,
  check: { type: 'process' },
  start: i < 4 ? sh(`sleep ${140 + i * 5}; echo crash ${i} >&2; exit 3`) : sh(`while :; do echo tick; sleep 60; done`),
}));
const agent = await startAgent({
  services,
  trust: { heartbeatTimeoutMs: 10_000, pluginCheckIntervalMs: 30_000 },
  log: { level: 'warn' },
});
const pid = agent.child.pid;
const base = `http://127.0.0.1:${agent.ready.httpPort}`;
const op = await agentClient(agent, 'event/');
const errors = [];
const count = { beats: 0, lists: 0, restarts: 0, kvWrites: 0, scrapes: 0, trustEvents: 0 };
const noteError = (what, e) => { if (errors.length < 100) errors.push({ at: new Date().toISOString(), what, error: String(e?.message ?? e) }); count.errors = (count.errors ?? 0) + 1; };

// Devices: one connection, 1 000 QoS 0 beats a second in 20 ms slices. Device d beats every 2 s; a cycling
// device is silent in the first half of its own 60 s cycle (offset by its id, so the events spread out).
const devices = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.ready.mqttPort}`, { protocolVersion: 4 });
let next = 0;
const t0 = Date.now();
const beatTimer = setInterval(() => {
  const now = Date.now();
  for (let n = 0; n < BEATS_PER_S / 50; n++) {
    const d = next;
    next = (next + 1) % DEVICES;
    if (d % SILENT_EVERY === 0 && (now - t0 + d * 300) % CYCLE_MS < CYCLE_MS / 2) continue;
    devices.publish(`${agent.topicRoot}/heartbeat/device/dev-${d}`, '');
    count.beats++;
  }
}, 20);

// The operator's load, each on its own clock; a request that fails or answers ok:false is an error.
const ask = async (name, body) => {
  const reply = await Promise.race([op.request(name, body), sleep(30_000).then(() => ({ ok: false, error: { code: 'BENCH_TIMEOUT' } }))]);
  if (!reply.ok) throw new Error(`${name}: ${JSON.stringify(reply.error)}`);
  return reply.result;
};
const http = async (path, init) => {
  const r = await fetch(`${base}${path}`, init);
  const text = await r.text();
  if (!r.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${r.status} ${text.slice(0, 200)}`);
  return text;
};
let running = true;
const loop = async (ms, what, body) => {
  while (running) {
    const started = Date.now();
    try { await body(); } catch (e) { noteError(what, e); }
    await sleep(Math.max(0, ms - (Date.now() - started)));
  }
};
let restartIx = 0;
let kvIx = 0;
const loops = [
  loop(100, 'list', async () => { const list = await ask('services.list', {}); if (list.length !== 20) throw new Error(`list of ${list.length}`); count.lists++; }),
  loop(5000, 'restart', async () => { await ask('services.restart', { names: [`soak-${4 + (restartIx++ % 16)}`] }); count.restarts++; }),
  loop(1000, 'kv', async () => {
    const key = `edgex/v4/soak-${kvIx % 20}/Writable/Counter`;
    await http(`/api/v3/kvs/key/${key}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: String(kvIx++) }) });
    count.kvWrites++;
  }),
  loop(1000, 'metrics', async () => { lastMetrics = await http('/metrics'); count.scrapes++; }),
];
let lastMetrics = '';

const dirBytes = (dir) => {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try { total += e.isDirectory() ? dirBytes(p) : lstatSync(p).size; } catch { /* went away between the two calls */ }
  }
  return total;
};
const gauge = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(lastMetrics)?.[1] ?? NaN);
const samples = [];
writeFileSync(values.out, '');
const sample = () => {
  count.trustEvents = op.events.filter(isTrustEvent).length + droppedEvents;
  const s = {
    minute: Number(((Date.now() - t0) / 60_000).toFixed(2)),
    rssMB: Number((rssBytes(pid) / MB).toFixed(1)),
    heapMB: Number((gauge('nodejs_heap_used_bytes') / MB).toFixed(1)),
    externalMB: Number((gauge('nodejs_external_memory_bytes') / MB).toFixed(1)),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    dataDirMB: Number((dirBytes(agent.dataDir) / MB).toFixed(2)),
    ...count,
  };
  samples.push(s);
  appendFileSync(values.out, `${JSON.stringify(s)}\n`);
  process.stdout.write(`${JSON.stringify(s)}\n`);
};
// Trust events are CloudEvents (CONTRACT 5); service events are not.
const isTrustEvent = (e) => e.e?.specversion !== undefined;
// The event list would grow for two hours: count and drop what was collected.
let droppedEvents = 0;
const trim = setInterval(() => {
  droppedEvents += op.events.filter(isTrustEvent).length;
  op.events.length = 0;
}, 10_000);

await sleep(2000);
sample();
const sampler = setInterval(sample, 30_000);
await sleep(MINUTES * 60_000);
clearInterval(sampler);
sample();
running = false;
clearInterval(beatTimer);
clearInterval(trim);
await Promise.all(loops);
await devices.endAsync();
await op.client.endAsync();
const alive = agent.child.exitCode === null;
await agent.stop();

/** Least-squares slope of y over x (minutes), in units per hour. */
const perHour = (points, key) => {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.minute, 0) / n;
  const my = points.reduce((a, p) => a + p[key], 0) / n;
  const sxy = points.reduce((a, p) => a + (p.minute - mx) * (p[key] - my), 0);
  const sxx = points.reduce((a, p) => a + (p.minute - mx) ** 2, 0);
  return Number(((sxy / sxx) * 60).toFixed(2));
};
const after = samples.filter((s) => s.minute >= SETTLE_MIN);
const range = (key) => [Math.min(...samples.map((s) => s[key])), Math.max(...samples.map((s) => s[key]))];
const summary = {
  minutes: MINUTES, agentEnv: values['agent-env'], samplesFile: values.out, agentAliveAtEnd: alive,
  rssMB: { first: samples[0].rssMB, atSettle: after[0]?.rssMB, last: samples.at(-1).rssMB, perHourAfterSettle: perHour(after, 'rssMB') },
  heapMB: { range: range('heapMB'), perHourAfterSettle: perHour(after, 'heapMB') },
  externalMB: { range: range('externalMB') },
  fds: range('fds'), dataDirMB: range('dataDirMB'),
  counts: count, errors: errors.slice(0, 10),
};
process.stdout.write(`SUMMARY ${JSON.stringify(summary)}\n`);
process.exit(alive && (count.errors ?? 0) === 0 ? 0 : 1);
