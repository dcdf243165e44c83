// Issue 25 benchmark: deployments. Run: npm run build && node bench/deploy.js   (RUNS=n, SIZE_MB=n)
// 1. Download of a SIZE_MB (50) artifact from a local HTTP server (a separate Node process streaming the file):
//    the agent's DOWNLOADING -> VERIFYING time against `curl -o` of the same file, median of RUNS (3) each.
// 2. The agent's RSS sampled every 10 ms during its downloads, against its idle RSS just before (it streams:
//    the goal is under 10 MB above idle).
// 3. Accepted -> DONE for a small artifact with a 5 s gate, split by state (from the events' times).
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { agentClient, freePort, rssBytes, sleep, startAgent } from './_agent-process.js';

const RUNS = Number(process.env.RUNS ?? 3);
const SIZE = Number(process.env.SIZE_MB ?? 50) * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'sma-bench-deploy-'));
const MB = (b) => (b / 1024 / 1024).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A ustar archive of `files` ({path, body}), gzip'd (level 1: the big file is random and does not shrink). */
function tarball(files) {
  const parts = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.path, 0, 100);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(f.body.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    parts.push(h, f.body, Buffer.alloc((512 - (f.body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 1 });
}

const app = `require('node:http').createServer((q, s) => s.end('{"status":"UP"}')).listen(Number(process.argv[3]), '127.0.0.1');`;
const big = tarball([{ path: 'app/app.js', body: Buffer.from(app) }, { path: 'app/blob.bin', body: randomBytes(SIZE) }]);
const small = tarball([{ path: 'app/app.js', body: Buffer.from(app) }]);
writeFileSync(join(dir, 'big.tgz'), big);
writeFileSync(join(dir, 'small.tgz'), small);
const sha = (b) => createHash('sha256').update(b).digest('hex');

// The file server: its own process, so that it takes the same share of the CPU for curl and for the agent.
const httpPort = await freePort();
const server = spawn(process.execPath, ['-e', `
  const fs = require('node:fs'); const path = require('node:path');
  require('node:http').createServer((q, s) => {
    const f = path.join(${JSON.stringify(dir)}, path.basename(q.url));
    fs.stat(f, (e, st) => { if (e) { s.statusCode = 404; return s.end(); }
      s.writeHead(200, { 'content-length': st.size }); fs.createReadStream(f, { highWaterMark: 1 << 16 }).pipe(s); });
  }).listen(${httpPort}, '127.0.0.1', () => console.log('ready'));`], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => server.stdout.once('data', r));
const url = (f) => `http://127.0.0.1:${httpPort}/${f}`;

// curl -o, the peer.
const curlMs = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  execFileSync('curl', ['-s', '-o', join(dir, 'curl.out'), url('big.tgz')]);
  curlMs.push(performance.now() - t0);
}

const appPort = await freePort();
const a = await startAgent({ executor: 'process', health: { intervalMs: 200, retries: 2 }, deploy: { gate: { healthyForMs: 5_000, timeoutMs: 60_000 } } });
const { client, events: arrived, request } = await agentClient(a, 'event/deploy/');
/** The deploy events so far, as they came. */
const events = { find: (f) => arrived.map((x) => x.e).find(f), filter: (f) => arrived.map((x) => x.e).filter(f) };
await request('registry.register', { name: 'app', check: { type: 'process' }, start: { command: process.execPath, args: ['app/app.js', '--port', String(appPort)] } });

async function deployed(version, file, bytes) {
  const reply = await request('services.deploy', { name: 'app', version, artifact: { url: url(file), sha256: sha(bytes) } });
  const id = reply.result.deploymentId;
  for (;;) {
    const end = events.find((e) => e.deploymentId === id && ['DONE', 'ROLLED_BACK', 'FAILED'].includes(e.state));
    if (end) return { end, mine: events.filter((e) => e.deploymentId === id && e.bytes === undefined) };
    await sleep(10);
  }
}

const agentMs = [];
const peaks = [];
let idle = 0;
for (let i = 0; i < RUNS; i++) {
  await sleep(1_000);
  idle = rssBytes(a.child.pid);
  let peak = idle;
  const byState = {};
  const sampler = setInterval(() => {
    const rss = rssBytes(a.child.pid);
    peak = Math.max(peak, rss);
    const state = events.filter((e) => e.bytes === undefined).at(-1)?.state ?? '?';
    byState[state] = Math.max(byState[state] ?? 0, rss - idle);
  }, 10);
  const { end, mine } = await deployed(`big-${i}`, 'big.tgz', big);
  clearInterval(sampler);
  if (end.state !== 'DONE') throw new Error(`big-${i} ended ${end.state}: ${JSON.stringify(end.error)}`);
  const at = (s) => Date.parse(mine.find((e) => e.state === s).at);
  agentMs.push(at('VERIFYING') - at('DOWNLOADING'));
  peaks.push(peak - idle);
  if (process.env.BY_STATE) console.log(`run ${i}: idle ${MB(idle)} MB; most above idle by state: ${Object.entries(byState).map(([k, v]) => `${k} ${MB(v)}`).join(', ')}`);
}

const { end, mine } = await deployed('small', 'small.tgz', small);
const states = mine.map((e) => ({ state: e.state, at: Date.parse(e.at) }));
const split = states.slice(0, -1).map((s, i) => `${s.state} ${states[i + 1].at - s.at} ms`);

const mbps = (ms) => (SIZE / 1024 / 1024 / (ms / 1000)).toFixed(0);
console.log(`artifact: ${MB(big.length)} MB gzip'd tar, ${RUNS} runs each; load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
console.log(`curl -o:        median ${median(curlMs).toFixed(0)} ms (${mbps(median(curlMs))} MB/s)   runs ${curlMs.map((x) => x.toFixed(0)).join(', ')}`);
console.log(`agent download: median ${median(agentMs).toFixed(0)} ms (${mbps(median(agentMs))} MB/s)   runs ${agentMs.join(', ')}`);
console.log(`agent / curl throughput: ${((median(curlMs) / median(agentMs)) * 100).toFixed(0)} % (goal >= 80 %)`);
console.log(`agent RSS above idle (${MB(idle)} MB) during a deployment of it: max ${MB(Math.max(...peaks))} MB   runs ${peaks.map(MB).join(', ')} (goal < 10 MB)`);
console.log(`small artifact, 5 s gate: accepted -> ${end.state} ${states.at(-1).at - states[0].at} ms: ${split.join(', ')}`);

await client.endAsync();
await a.stop();
server.kill();
