// Issue 4 benchmarks of the trust tracker in-process (against dist/, so run `npm run build` first):
// heartbeats absorbed per second, deadline accuracy at 100 000 devices, RSS at 100 000 and 1 000 000.
// Each measure runs in a fresh child process (`--child MODE N`) so heaps do not mix.
//   node --expose-gc bench/trust.js [--update-benchmarks]
// With --update-benchmarks the section "## Trust tracker (issue 4)" of BENCHMARKS.md is rewritten.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const MB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const idOf = (i) => `device-${String(i).padStart(7, '0')}`;

async function tracker(timeoutMs, onEvent) {
  const { TrustTracker } = await import(join(ROOT, 'dist/trust/trust-tracker.js'));
  const { LevelStore } = await import(join(ROOT, 'dist/store/level-store.js'));
  const { EventBus } = await import(join(ROOT, 'dist/events.js'));
  const { systemClock } = await import(join(ROOT, 'dist/clock.js'));
  const { pino } = await import('pino');
  const dir = mkdtempSync(join(tmpdir(), 'sma-bench-trust-'));
  const store = await LevelStore.open(dir);
  const events = new EventBus();
  if (onEvent) events.on(onEvent);
  const t = new TrustTracker({
    store,
    events,
    clock: systemClock,
    config: { heartbeatTimeoutMs: timeoutMs, pluginCheckIntervalMs: 30_000 },
    log: pino({ level: 'silent' }),
    plugins: () => [],
  });
  await t.start();
  return {
    t,
    dir,
    store,
    async close() {
      await t.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Beats `count` times over `ids`, in slices that let timers (wheel, checkpoints) run; returns beats/s. */
async function beatFor(t, ids, count, makeId) {
  const slice = 20_000;
  const start = performance.now();
  let k = 0;
  for (let done = 0; done < count; done += slice) {
    const now = Date.now();
    const end = Math.min(count, done + slice);
    for (let j = done; j < end; j++) {
      t.beat(makeId ? makeId(k) : ids[k], now);
      k = k + 1 === ids.length ? 0 : k + 1;
    }
    await new Promise((r) => setImmediate(r));
  }
  return count / ((performance.now() - start) / 1000);
}

const children = {
  /** Heartbeats per second: first sight, known devices with prebuilt ids, and with an id string made per beat. */
  async absorb(n) {
    const ids = Array.from({ length: n }, (_, i) => idOf(i));
    const { t, close } = await tracker(600_000);
    const firstSight = await beatFor(t, ids, n);
    const known = await beatFor(t, ids, 5 * n);
    const fresh = await beatFor(t, ids, 5 * n, (k) => `device-${String(k).padStart(7, '0')}`);
    const closeStart = performance.now();
    await close();
    return { n, firstSight, known, freshIdString: fresh, finalCheckpointMs: performance.now() - closeStart };
  },

  /**
   * Every device's NONE event against its deadline: n devices whose last beats are spread over 2 s, then
   * silence; meanwhile `loadRate` heartbeats/s from n other devices keep the loop busy.
   */
  async deadline(n, loadRate = '0') {
    const timeoutMs = 5_000;
    const lastBeat = new Float64Array(n);
    const late = [];
    let emitted = 0;
    const index = new Map();
    const { t, close } = await tracker(timeoutMs, (e) => {
      if (e.kind !== 'trust' || e.to !== 'NONE') return;
      emitted++;
      late.push(Date.now() - (lastBeat[index.get(e.deviceId)] + timeoutMs));
    });
    const ids = Array.from({ length: n }, (_, i) => idOf(i));
    ids.forEach((id, i) => index.set(id, i));
    const others = Array.from({ length: n }, (_, i) => `other-${String(i).padStart(7, '0')}`);
    let o = 0;
    const perTick = Math.round(Number(loadRate) / 100);
    const load = setInterval(() => {
      const now = Date.now();
      for (let k = 0; k < perTick; k++) {
        t.beat(others[o], now);
        o = o + 1 === n ? 0 : o + 1;
      }
    }, 10);
    const spreadMs = 2_000;
    const start = Date.now();
    for (let i = 0; i < n; ) {
      const due = Math.min(n, Math.ceil(((Date.now() - start) / spreadMs) * n));
      const now = Date.now();
      for (; i < due; i++) {
        t.beat(ids[i], now);
        lastBeat[i] = now;
      }
      await sleep(5);
    }
    const until = Date.now() + timeoutMs + spreadMs + 5_000;
    while (emitted < n && Date.now() < until) await sleep(50);
    clearInterval(load);
    await close();
    late.sort((a, b) => a - b);
    const q = (p) => late[Math.min(late.length - 1, Math.floor(p * late.length))];
    return { n, loadRate: Number(loadRate), timeoutMs, events: emitted, earliestMs: late[0], p50Ms: q(0.5), p99Ms: q(0.99), maxMs: late[late.length - 1] };
  },

  /** RSS with n tracked devices, after a full checkpoint and a GC; then the time to load them again. */
  async rss(n) {
    globalThis.gc?.();
    const base = process.memoryUsage().rss;
    const { t, dir, store } = await tracker(600_000);
    for (let i = 0; i < n; i++) {
      t.beat(idOf(i), Date.now());
      if (i % 50_000 === 0) await new Promise((r) => setImmediate(r));
    }
    const ckStart = performance.now();
    await t.close(); // the final checkpoint: every chunk of every field
    const checkpointMs = performance.now() - ckStart;
    globalThis.gc?.();
    await sleep(200);
    globalThis.gc?.();
    const mem = process.memoryUsage();
    const counts = t.counts();
    await store.close();
    return { n, devices: counts.devices, rssMB: mem.rss / MB, heapUsedMB: mem.heapUsed / MB, heapTotalMB: mem.heapTotal / MB, externalMB: mem.external / MB, arrayBuffersMB: mem.arrayBuffers / MB, bareRssMB: base / MB, checkpointMs, peakRssMB: process.resourceUsage().maxRSS / 1024, dir };
  },

  /** Start-up time of a tracker over the data directory an `rss` run left behind. */
  async load(n, dir) {
    const { TrustTracker } = await import(join(ROOT, 'dist/trust/trust-tracker.js'));
    const { LevelStore } = await import(join(ROOT, 'dist/store/level-store.js'));
    const { EventBus } = await import(join(ROOT, 'dist/events.js'));
    const { systemClock } = await import(join(ROOT, 'dist/clock.js'));
    const { pino } = await import('pino');
    const store = await LevelStore.open(dir);
    const t = new TrustTracker({ store, events: new EventBus(), clock: systemClock, config: { heartbeatTimeoutMs: 600_000, pluginCheckIntervalMs: 30_000 }, log: pino({ level: 'silent' }), plugins: () => [] });
    const start = performance.now();
    await t.start();
    const loadMs = performance.now() - start;
    const devices = t.counts().devices;
    await t.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    return { n, devices, loadMs };
  },
};

function child(mode, ...args) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', mode, ...args.map(String)], {
    encoding: 'utf8',
    maxBuffer: 16 * MB,
  });
  if (r.status !== 0) throw new Error(`${mode} ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const fmt = (n, digits = 0) => Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function markdown(r) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const perDevice = ((r.rss1m.rssMB - r.rss0.rssMB) * MB) / 1_000_000;
  const late = (d) => `${fmt(d.p50Ms)} / ${fmt(d.p99Ms)} / ${fmt(d.maxMs)} ms (${fmt(d.events)} events; earliest ${fmt(d.earliestMs)} ms after its deadline)`;
  return `## Trust tracker (issue 4)

Command: \`npm run build && node --expose-gc bench/trust.js --update-benchmarks\` (each measure in a fresh
Node ${process.version} process; ${cpus().length} × ${cpu}; the tracker alone on a real LevelDB store in a temp
dir with the system clock, no MQTT). Device ids are 14 characters (\`device-0000123\`). Run ${new Date().toISOString().slice(0, 10)}.

| measure | result | goal |
|---|---|---|
| heartbeats absorbed, known devices (ids prebuilt) | ${fmt(r.absorb.known)}/s | >= 50 000/s end to end |
| heartbeats absorbed, id string made per beat (as a front does) | ${fmt(r.absorb.freshIdString)}/s | |
| first heartbeat of a new device | ${fmt(r.absorb.firstSight)}/s | |
| NONE event after its deadline (p50 / p99 / max), 100 000 devices timing out within 2 s | ${late(r.deadline)} | within 1 000 ms |
| the same while 100 000 other devices beat at 50 000/s | ${late(r.deadlineLoaded)} | within 1 000 ms |
| RSS, tracker with no device (node + level + pino) | ${fmt(r.rss0.rssMB, 1)} MB | |
| RSS, 100 000 devices (after a full checkpoint and GC) | ${fmt(r.rss100k.rssMB, 1)} MB (heap used ${fmt(r.rss100k.heapUsedMB, 1)} MB) | <= 120 MB |
| RSS, 1 000 000 devices (after a full checkpoint and GC) | ${fmt(r.rss1m.rssMB, 1)} MB (heap used ${fmt(r.rss1m.heapUsedMB, 1)} MB, typed arrays ${fmt(r.rss1m.arrayBuffersMB, 1)} MB; peak ${fmt(r.rss1m.peakRssMB, 1)} MB) | <= 400 MB |
| memory per tracked device (RSS, 1 000 000 vs none) | ${fmt(perDevice)} bytes | |
| full checkpoint of 1 000 000 new devices / loading them at start | ${fmt(r.rss1m.checkpointMs)} ms / ${fmt(r.load1m.loadMs)} ms | |

Absorption is \`TrustTracker.beat()\` alone with its wheel ticks and checkpoints running (beats in slices of
20 000 between which timers run). The RSS goals are for the whole agent: add the agent's idle RSS without
devices (bench/agent.js) to the per-device figure; at 100 000 devices that is about
${fmt((perDevice * 100_000) / MB, 0)} MB on top of it.

${E2E_HEADING}

Not yet measured: run \`node bench/trust-mqtt.js --update-benchmarks\` (it needs the agent's MQTT front in dist/).
By hand: start the agent, then \`node firmware-sim/sim.js --broker URL --topic-root sma/ID --devices 100000
--rate 60000 --connections 2 --duration 30 --silent-fraction 0.1 --silent-after 5 --timeout-ms T --json\` with T the
agent's \`trust.heartbeatTimeoutMs\`: \`achievedRate\`, \`lateness\` and \`noneAtEnd\` (= \`silentDevices\`) are the figures.
`;
}

const E2E_HEADING = '### End to end through a broker (bench/trust-mqtt.js)';

/** Rewrites this section of BENCHMARKS.md, keeping the end-to-end subsection bench/trust-mqtt.js wrote. */
function updateBenchmarks(section) {
  const file = join(ROOT, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf('## Trust tracker (issue 4)');
  if (start < 0) return writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
  const rest = text.indexOf('\n## ', start + 3);
  const old = text.slice(start, rest < 0 ? undefined : rest + 1);
  const e2e = old.indexOf(E2E_HEADING);
  const merged = e2e < 0 ? section : section.slice(0, section.indexOf(E2E_HEADING)) + old.slice(e2e).trimEnd() + '\n';
  writeFileSync(file, text.slice(0, start) + merged + (rest < 0 ? '' : `\n${text.slice(rest + 1)}`));
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  const [, mode, n, ...rest] = argv;
  const result = await children[mode](Number(n), ...rest);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  if (!existsSync(join(ROOT, 'dist/trust/trust-tracker.js'))) {
    process.stderr.write('bench/trust.js: dist/ is missing; run `npm run build` first\n');
    process.exit(2);
  }
  const r = {};
  const step = (name, ...args) => {
    r[name] = child(...args);
    process.stdout.write(`${name}: ${JSON.stringify(r[name])}\n`);
  };
  step('absorb', 'absorb', 200_000);
  step('deadline', 'deadline', 100_000);
  step('deadlineLoaded', 'deadline', 100_000, 50_000);
  step('rss0', 'rss', 0);
  rmSync(r.rss0.dir, { recursive: true, force: true });
  step('rss100k', 'rss', 100_000);
  rmSync(r.rss100k.dir, { recursive: true, force: true });
  step('rss1m', 'rss', 1_000_000);
  step('load1m', 'load', 1_000_000, r.rss1m.dir);
  const section = markdown(r);
  process.stdout.write(`\n${section}`);
  if (argv.includes('--update-benchmarks')) updateBenchmarks(section);
}
