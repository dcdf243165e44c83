// Issue 14 benchmark: flash wear. Bytes the agent writes to its dataDir per hour while 2 000 devices beat
// 1 000 times a second (firmware-sim through the embedded broker, default trust settings), beside the
// size of the live data in the store at the end. Goal: at most 10x the live data per hour.
//   npm run build && node bench/trust-wear.js [--devices N] [--rate R] [--duration S] [--before DIR] [--update-benchmarks]
// `--before DIR` measures, in the same run, the agent built in DIR (another checkout, e.g. main before
// the change), so both figures share the machine's state.
// Bytes written are counted two ways: every file under dataDir/db polled every 100 ms (LevelDB only appends
// to files and creates new ones, so the sum of each file's growth is what it wrote), and the agent's
// /proc/PID/io write_bytes (bytes sent to the block layer, which includes anything else the agent writes).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, sleep, startAgent } from './_agent-process.js';
import { runFleet } from '../firmware-sim/fleet/fleet.js';
import { parseFleetArgs } from '../firmware-sim/fleet/options.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '180' },
    // Past the first checkpoint, which writes the 2 000 new devices whole: the steady state is measured.
    warmup: { type: 'string', default: '75' },
    before: { type: 'string' },
    'update-benchmarks': { type: 'boolean', default: false },
  },
});
const KB = 1024;

/** Sums what was appended to every file under `dir` since `start()`, polling sizes. */
function fileGrowth(dir) {
  const seen = new Map(); // inode -> { base, max }
  const poll = () => {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      let st;
      try {
        st = statSync(join(dir, name));
      } catch {
        continue; // removed between readdir and stat
      }
      if (!st.isFile()) continue;
      const f = seen.get(st.ino);
      if (!f) seen.set(st.ino, { base: counting ? 0 : st.size, max: st.size });
      else if (st.size > f.max) f.max = st.size;
    }
  };
  let counting = false;
  poll();
  const timer = setInterval(poll, 100);
  return {
    start() {
      poll();
      for (const f of seen.values()) f.base = f.max;
      counting = true;
    },
    stop() {
      poll();
      clearInterval(timer);
      let bytes = 0;
      for (const f of seen.values()) bytes += f.max - f.base;
      return bytes;
    },
  };
}

const writeBytes = (pid) => {
  const m = /^write_bytes:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};

/** Key and value bytes of every entry in a stopped agent's store: what it needs to keep. */
async function liveBytes(location) {
  const { Level } = await import('level');
  const db = new Level(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  let bytes = 0;
  let trust = 0;
  for await (const [k, v] of db.iterator()) {
    bytes += k.length + v.length;
    if (k.toString().startsWith('!trust!')) trust += k.length + v.length;
  }
  await db.close();
  return { bytes, trust };
}

async function measure(label, root) {
  const agent = await startAgent({ registry: { type: 'none' } }, root);
  const db = join(agent.dataDir, 'db');
  const growth = fileGrowth(db);
  const argv = ['--broker', `mqtt://127.0.0.1:${agent.ready.mqttPort}`, '--topic-root', agent.topicRoot, '--devices', values.devices,
    '--rate', values.rate, '--duration', String(Number(values.warmup) + Number(values.duration)), '--settle', '0', '--quiet'];
  const fleet = runFleet(parseFleetArgs(argv), { warn: (l) => process.stderr.write(`${l}\n`) });
  await sleep(Number(values.warmup) * 1000);
  growth.start();
  const io0 = writeBytes(agent.child.pid);
  const t0 = performance.now();
  const summary = await fleet;
  const seconds = (performance.now() - t0) / 1000;
  const io = writeBytes(agent.child.pid) - io0;
  const files = growth.stop();
  await agent.stop();
  const live = await liveBytes(db);
  const perHour = (b) => (b / seconds) * 3600;
  const result = { label, seconds, beatsPerS: summary.achievedRate, filesPerHour: perHour(files), ioPerHour: perHour(io), live: live.bytes, liveTrust: live.trust };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return result;
}

const results = [];
if (values.before) results.push(await measure(`before (${values.before})`, values.before));
results.push(await measure('this build', ROOT));

const mb = (b) => `${(b / KB / KB).toFixed(2)} MB`;
const kb = (b) => `${Math.round(b / KB)} KB`;
const rows = results.map(
  (r) =>
    `| ${r.label} | ${Math.round(r.beatsPerS)}/s | ${mb(r.filesPerHour)} | ${Number.isNaN(r.ioPerHour) ? 'n/a' : mb(r.ioPerHour)} | ${kb(r.live)} (trust ${kb(r.liveTrust)}) | ${(r.filesPerHour / r.live).toFixed(1)}x |`,
);
const section = `### Flash wear: bytes written per hour (bench/trust-wear.js, issue 14)

Command: \`npm run build && node bench/trust-wear.js --devices ${values.devices} --rate ${values.rate} --duration ${values.duration}${values.before ? ' --before DIR' : ''}\`
(the agent from dist/main.js on defaults, \`trust.heartbeatTimeoutMs\` 600 000: a checkpoint every 60 s now, every 10 s before; firmware-sim
in-process through the embedded broker; ${values.warmup} s of warm-up, then ${values.duration} s measured and scaled to an hour). "Files" sums
what was appended to each file of dataDir/db; "block layer" is the agent's /proc/PID/io write_bytes. Live data is
the key and value bytes of every entry left in the store after a clean stop. Goal: at most 10x the live data per hour.
Run ${new Date().toISOString().slice(0, 10)} on a 2-core machine shared with other engineers' test runs (figures ± noise).

| build | heartbeats | written per hour (files) | written per hour (block layer) | live data | per hour / live |
|---|---|---|---|---|---|
${rows.join('\n')}
`;
process.stdout.write(`\n${section}`);
if (values['update-benchmarks']) {
  const path = join(ROOT, 'BENCHMARKS.md');
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf('### Flash wear: bytes written per hour');
  const end = start < 0 ? -1 : text.indexOf('\n## ', start);
  const next = start < 0 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start)}${section}${end < 0 ? '' : text.slice(end)}`;
  writeFileSync(path, next);
}
