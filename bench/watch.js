// Issue 27 benchmarks: the resource watch at 50 services.
//   npm run build && node bench/watch.js [--services 50] [--duration 180] [--queries 200]
// 1. Sampling: the agent's CPU while it samples 50 spawned services every 10 s (watch.intervalMs default),
//    minus the same agent idle with the watch's timer at an hour; beside `ps -e -o pgid,rss,nlwp,time` run
//    every 10 s over the same period (the same /proc reads, without open files), its CPU from our cutime.
// 2. Flash: what the agent writes to dataDir per hour for that history (files' growth and /proc/PID/io).
// (`--only query` or `--only sampling` runs one part.)
// 3. A 24-hour history query at one-minute steps, p50/p99, on a store holding 24 h for 50 services, beside
//    the floor: a bare LevelDB iteration over the same keys.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { percentile, sleep, startAgent } from './_agent-process.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '50' },
    duration: { type: 'string', default: '180' },
    queries: { type: 'string', default: '200' },
    only: { type: 'string' },
  },
});
const N = Number(values.services);
const DURATION_S = Number(values.duration);
const TICKS = 100;

const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
const childTicks = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return Number(f[13]) + Number(f[14]);
};
const writeBytes = (pid) => Number(/^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
const dirBytes = (dir) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

async function request(client, root, op, body) {
  const correlationId = `${op}-${Math.random()}`;
  const topic = `${root}/response/${correlationId}`;
  await client.subscribeAsync(topic);
  let listener;
  const reply = new Promise((resolve) => client.on('message', (listener = (t, p) => t === topic && resolve(JSON.parse(p.toString())))));
  await client.publishAsync(`${root}/request/${op}`, JSON.stringify({ ...body, correlationId }), { qos: 1 });
  const answer = await reply;
  client.off('message', listener);
  await client.unsubscribeAsync(topic);
  return answer;
}

/** An agent with N spawned `sleep` services, running. */
async function agentWithServices(intervalMs) {
  const agent = await startAgent({ executor: 'process', watch: { intervalMs } });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.ready.mqttPort}`, { protocolVersion: 4 });
  for (let i = 0; i < N; i++) {
    const r = await request(client, agent.topicRoot, 'registry.register', { name: `svc-${i}`, check: { type: 'process' }, start: { command: '/bin/sleep', args: ['100000'] } });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
  }
  const started = await request(client, agent.topicRoot, 'services.start', { all: true });
  if (!started.ok) throw new Error(JSON.stringify(started.error));
  await client.endAsync();
  await sleep(2000);
  return agent;
}

async function sampling() {
  const idle = await agentWithServices(3_600_000);
  const idleTicks0 = cpuTicks(idle.child.pid);
  await sleep(60_000);
  const idlePerS = (cpuTicks(idle.child.pid) - idleTicks0) / TICKS / 60;
  await idle.stop();
  rmSync(idle.dataDir, { recursive: true, force: true });

  const agent = await agentWithServices(10_000);
  const db = join(agent.dataDir, 'db');
  // Past the first minute, whose batch is the first of the history.
  await sleep(65_000);
  const t0 = cpuTicks(agent.child.pid);
  const w0 = writeBytes(agent.child.pid);
  const f0 = dirBytes(db);
  const c0 = childTicks();
  let psRounds = 0;
  const end = Date.now() + DURATION_S * 1000;
  while (Date.now() < end) {
    spawnSync('ps', ['-e', '-o', 'pgid=,rss=,nlwp=,time='], { stdio: 'ignore' });
    psRounds++;
    await sleep(10_000);
  }
  const agentS = (cpuTicks(agent.child.pid) - t0) / TICKS;
  const psS = (childTicks() - c0) / TICKS;
  const written = writeBytes(agent.child.pid) - w0;
  const grown = dirBytes(db) - f0;
  await agent.stop();
  const perHour = (bytes) => (bytes * 3600) / DURATION_S / 1e6;
  const pct = (s) => ((s / DURATION_S) * 100).toFixed(3);
  console.log(`| sampling ${N} services every 10 s | agent ${pct(agentS)} % of a core (idle agent, timer at 1 h: ${(idlePerS * 100).toFixed(3)} %) | ps every 10 s: ${pct(psS)} % (${psRounds} runs) |`);
  console.log(`| history writes at ${N} services | ${perHour(grown).toFixed(2)} MB/h (db files' growth) | ${perHour(written).toFixed(2)} MB/h (block layer, /proc/PID/io) |`);
  return agent.dataDir;
}

async function query() {
  const { LevelStore } = await import('../dist/store/level-store.js');
  const { History } = await import('../dist/watch/history.js');
  const dir = mkdtempSync(join(tmpdir(), 'sma-bench-history-'));
  let store = await LevelStore.open(dir);
  const now = { t: Math.floor(Date.now() / 60_000) * 60_000 };
  let history = new History({ section: store.section('history'), rawWindowMs: 3_600_000, historyHours: 24, now: () => now.t, onWriteError: (e) => { throw e; } });
  const written0 = writeBytes(process.pid);
  const end = now.t;
  for (let t = end - 24 * 3_600_000; t < end; t += 10_000) {
    now.t = t;
    for (let i = 0; i < N; i++) history.record(`svc-${i}`, t, { cpuPercent: (t / 1000) % 7, memoryBytes: 50e6 + (t % 1e6), fds: 10, threads: 4 });
    if (t % 60_000 === 0) await history.flush(t);
  }
  now.t += 10_000;
  await history.flush(now.t);
  await store.close();
  // A day of history written as the agent writes it (a batch a minute, hours folded), LevelDB's own
  // compactions of it included: what the block layer took, per hour of history.
  const dayWritten = writeBytes(process.pid) - written0;
  // Reopened and left a few seconds: the day was written in seconds, and LevelDB's compactions of it (which a
  // gateway spreads over the day) would otherwise land inside the measured queries.
  store = await LevelStore.open(dir);
  history = new History({ section: store.section('history'), rawWindowMs: 3_600_000, historyHours: 24, now: () => now.t, onWriteError: (e) => { throw e; } });
  await sleep(5000);
  for (let q = 0; q < 20; q++) await history.points(`svc-${q % N}`, 'memoryBytes', now.t - 24 * 3_600_000, 60_000);
  const since = now.t - 24 * 3_600_000;
  const times = [];
  const floor = [];
  const section = store.section('history');
  for (let q = 0; q < Number(values.queries); q++) {
    const name = `svc-${q % N}`;
    let t0 = performance.now();
    const points = await history.points(name, 'memoryBytes', since, 60_000);
    times.push(performance.now() - t0);
    if (points.length < 1400) throw new Error(`only ${points.length} points`);
    t0 = performance.now();
    let n = 0;
    for await (const [, v] of section.entries({ gte: `h/${name}/`, lt: `h/${name}/~` })) n += v.length;
    for await (const [, v] of section.entries({ gte: `m/${name}/`, lt: `m/${name}/~` })) n += v.n;
    floor.push(performance.now() - t0);
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  floor.sort((a, b) => a - b);
  const f = (x) => x.toFixed(2);
  console.log(`| history of ${N} services written for a simulated day (compactions included) | ${(dayWritten / 24 / 1e6).toFixed(2)} MB per hour of history (block layer) | |`);
  console.log(`| 24 h history query, 1-minute steps (1 440 points) | p50 ${f(percentile(times, 50))} ms, p99 ${f(percentile(times, 99))} ms | bare LevelDB iteration of the same keys (24 hour keys and this hour's minute keys): p50 ${f(percentile(floor, 50))} ms, p99 ${f(percentile(floor, 99))} ms |`);
}

console.log(`node ${process.version}, ${execFileSync('nproc').toString().trim()} cores, ${new Date().toISOString()}`);
if (values.only !== 'sampling') await query();
if (values.only !== 'query') await sampling();
