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

  /** Every device's NONE event against its deadline: n devices whose last beats are spread over 2 s, then silence. */
  async deadline(n) {
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
    await close();
    late.sort((a, b) => a - b);
    const q = (p) => late[Math.min(late.length - 1, Math.floor(p * late.length))];
    return { n, timeoutMs, events: emitted, earliestMs: late[0], p50Ms: q(0.5), p99Ms: q(0.99), maxMs: late[late.length - 1] };
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
    return { n, devices: counts.devices, rssMB: mem.rss / MB, heapUsedMB: mem.heapUsed / MB, arrayBuffersMB: mem.arrayBuffers / MB, bareRssMB: base / MB, checkpointMs, peakRssMB: process.resourceUsage().maxRSS / 1024, dir };
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
  return `## Trust tracker (issue 4)

Command: \`npm run build && node --expose-gc bench/trust.js\` (each line a fresh Node ${process.version} process;
${cpus().length} × ${cpu}; tracker on a real LevelDB store in a temp dir, system clock, no MQTT).
Device ids are 14 characters (\`device-0000123\`).

| measure | result | goal |
|---|---|---|
| heartbeats absorbed, known devices (ids prebuilt) | ${fmt(r.absorb.known)}/s | >= 50 000/s end to end |
| heartbeats absorbed, id string made per beat (as a front does) | ${fmt(r.absorb.freshIdString)}/s | |
| first heartbeat of a new device | ${fmt(r.absorb.firstSight)}/s | |
| NONE event after its deadline, ${fmt(r.deadline.n)} devices timing out within 2 s (p50 / p99 / max) | ${fmt(r.deadline.p50Ms)} / ${fmt(r.deadline.p99Ms)} / ${fmt(r.deadline.maxMs)} ms (${fmt(r.deadline.events)} events, none early: earliest ${fmt(r.deadline.earliestMs)} ms) | within 1 000 ms |
| RSS, 100 000 devices (after checkpoint + GC) | ${fmt(r.rss100k.rssMB, 1)} MB (heap ${fmt(r.rss100k.heapUsedMB, 1)} MB, bare node ${fmt(r.rss100k.bareRssMB, 1)} MB) | <= 120 MB |
| RSS, 1 000 000 devices (after checkpoint + GC) | ${fmt(r.rss1m.rssMB, 1)} MB (heap ${fmt(r.rss1m.heapUsedMB, 1)} MB; peak ${fmt(r.rss1m.peakRssMB, 1)} MB during the full checkpoint) | <= 400 MB |
| full checkpoint of 1 000 000 devices / load at start | ${fmt(r.rss1m.checkpointMs)} ms / ${fmt(r.load1m.loadMs)} ms | |

Absorption is the tracker alone (\`beat()\` plus its wheel ticks and lazy checkpoints, in slices of 20 000
that let timers run). The end-to-end figure through the embedded broker and mosquitto needs the MQTT front:
run the agent, then \`node firmware-sim/sim.js --broker URL --topic-root sma/ID --devices 100000 --rate 60000
--connections 2 --duration 30 --json\` (add \`--silent-fraction 0.1 --silent-after 10 --timeout-ms T\` with the
agent's \`trust.heartbeatTimeoutMs\` = T to get end-to-end deadline lateness in \`lateness\`).
`;
}

function updateBenchmarks(section) {
  const file = join(ROOT, 'BENCHMARKS.md');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf('## Trust tracker (issue 4)');
  if (start < 0) return writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
  const rest = text.indexOf('\n## ', start + 3);
  writeFileSync(file, text.slice(0, start) + section + (rest < 0 ? '' : text.slice(rest + 1)));
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
  r.absorb = child('absorb', 200_000);
  process.stdout.write(`absorb: ${JSON.stringify(r.absorb)}\n`);
  r.deadline = child('deadline', 100_000);
  process.stdout.write(`deadline: ${JSON.stringify(r.deadline)}\n`);
  r.rss100k = child('rss', 100_000);
  rmSync(r.rss100k.dir, { recursive: true, force: true });
  process.stdout.write(`rss 100k: ${JSON.stringify(r.rss100k)}\n`);
  r.rss1m = child('rss', 1_000_000);
  process.stdout.write(`rss 1M: ${JSON.stringify(r.rss1m)}\n`);
  r.load1m = child('load', 1_000_000, r.rss1m.dir);
  process.stdout.write(`load 1M: ${JSON.stringify(r.load1m)}\n`);
  const section = markdown(r);
  process.stdout.write(`\n${section}`);
  if (argv.includes('--update-benchmarks')) updateBenchmarks(section);
}
