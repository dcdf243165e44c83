// Issue 14 benchmarks, each beside a peer measured in the same run:
//   1. a CLI command (`services list`, 20 services) wall time, on the embedded defaults, beside mosquitto_rr
//      doing the same request (through mosquitto, to the agent in external mode: mosquitto_rr speaks MQTT 5,
//      the embedded broker 3.1.1 only), and the CLI through that same mosquitto;
//   2. idle RSS 10 s after ready, beside a bare `node` process;
//   3. the status page on a cold Chromium: first load, one live update, bytes transferred.
// Run: npm run build && node bench/operator.js [--rounds N] [--only cli|rss|page] [--screenshot FILE.png]
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { percentile, ROOT, rssBytes, sleep, startAgent, startMosquitto } from './_agent-process.js';

const run = promisify(execFile);
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, only: { type: 'string' }, screenshot: { type: 'string' } } });
const ROUNDS = Number(values.rounds);
const MB = 1024 * 1024;
const BIN = join(ROOT, 'dist/main.js');
const results = { machine: 'shared 2-core VM, other engineers running builds and tests: figures are +-noise' };

const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50Ms: Math.round(percentile(s, 50)), p90Ms: Math.round(percentile(s, 90)), n: s.length };
};

async function timed(fn) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

async function register(url, root, n) {
  const c = await mqtt.connectAsync(url, { protocolVersion: 4 });
  await c.subscribeAsync(`${root}/response/#`, { qos: 1 });
  const waiting = new Map();
  c.on('message', (_t, p) => waiting.get(JSON.parse(p).correlationId)?.());
  for (let i = 0; i < n; i++) {
    const correlationId = randomUUID();
    const done = new Promise((resolve) => waiting.set(correlationId, resolve));
    await c.publishAsync(`${root}/request/registry.register`, JSON.stringify({ name: `svc-${i}`, check: { type: 'none' }, correlationId }), { qos: 1 });
    await done;
  }
  await c.endAsync();
}

const cli = async (...args) => {
  const { stdout } = await run(process.execPath, ['--max-semi-space-size=4', BIN, 'services', 'list', ...args]);
  if (stdout.split('\n').length < 21) throw new Error(`CLI listed too little:\n${stdout}`);
};

const wanted = (part) => values.only === undefined || values.only === part;

// 1. CLI wall time.
if (wanted('cli')) {
  // Embedded defaults: no agent id configured, so the agent is this host's and discovery knows it at once.
  const a = await startAgent({ agent: {} });
  const id = a.topicRoot.split('/')[1];
  const url = `mqtt://127.0.0.1:${a.ready.mqttPort}`;
  await register(url, a.topicRoot, 20);
  await cli('--broker', url); // warm the page cache once
  // Interleaved, so both see the same machine.
  const discovered = [];
  const named = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    await cli('--broker', url);
    discovered.push(performance.now() - t);
    t = performance.now();
    await cli('--broker', url, '--agent', id);
    named.push(performance.now() - t);
  }
  results.cliEmbedded = { discovered: stats(discovered), withAgent: stats(named) };
  results.bareNode = await timed(() => run(process.execPath, ['-e', '0']));
  await a.stop();

  const mosquitto = await startMosquitto('set_tcp_nodelay true');
  if (mosquitto) {
    const b = await startAgent({ agent: { id: 'bench' }, mqtt: { mode: 'external', url: mosquitto.url, protocolVersion: 5 } });
    await register(mosquitto.url, b.topicRoot, 20);
    const port = mosquitto.url.split(':')[2];
    results.mosquittoRr = await timed(async (i) => {
      const { stdout } = await run('mosquitto_rr', ['-V', '5', '-h', '127.0.0.1', '-p', port, '-q', '1', '-t', `${b.topicRoot}/request/services.list`,
        '-e', `bench/rr/${i}`, '-m', '{}', '-W', '10']);
      if (JSON.parse(stdout).result.length !== 20) throw new Error('mosquitto_rr: wrong count');
    });
    results.cliThroughMosquitto = await timed(() => cli('--broker', mosquitto.url, '--agent', 'bench'));
    await b.stop();
    mosquitto.stop();
  }
}

// 2. Idle RSS 10 s after ready, beside bare node; runs of one build spread by a few MB, so the median of
// RSS_RUNS (default 5) agent/bare pairs, each pair measured side by side.
if (wanted('rss')) {
  const runs = [];
  for (let i = 0; i < Number(process.env.RSS_RUNS ?? 5); i++) {
    const a = await startAgent({ agent: { id: 'bench' } });
    const bare = spawn(process.execPath, ['--max-semi-space-size=4', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await sleep(10_000);
    runs.push({ agentMB: rssBytes(a.child.pid) / MB, bareNodeMB: rssBytes(bare.pid) / MB });
    bare.kill();
    await a.stop();
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const above = runs.map((r) => r.agentMB - r.bareNodeMB);
  results.idleRss = {
    runs: runs.length,
    agentMB: +median(runs.map((r) => r.agentMB)).toFixed(1),
    bareNodeMB: +median(runs.map((r) => r.bareNodeMB)).toFixed(1),
    aboveBareMB: +median(above).toFixed(1),
    aboveBareRangeMB: [+Math.min(...above).toFixed(1), +Math.max(...above).toFixed(1)],
  };
}

// 3. The status page on a cold Chromium.
if (wanted('page') && existsSync('/usr/bin/chromium')) {
  const { chromium } = await import('playwright-core');
  const a = await startAgent({ health: { intervalMs: 1000 } });
  const url = `mqtt://127.0.0.1:${a.ready.mqttPort}`;
  await register(url, a.topicRoot, 20);
  const samples = { firstLoadMs: [], liveUpdateMs: [], bytes: 0 };
  for (let i = 0; i < 5; i++) {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
    const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
    let bytes = 0;
    page.on('response', async (r) => {
      if (r.url().endsWith('/')) bytes += Number((await r.headersArray()).find((h) => h.name.toLowerCase() === 'content-length')?.value ?? 0);
    });
    const t0 = performance.now();
    await page.goto(`http://127.0.0.1:${a.ready.httpPort}/`);
    await page.locator('tr[data-service="svc-19"]').waitFor();
    samples.firstLoadMs.push(performance.now() - t0);
    // A live update: deregister one service over MQTT, time until the page drops its row.
    const name = `svc-${i}`;
    const c = await mqtt.connectAsync(url, { protocolVersion: 4 });
    const t1 = performance.now();
    await c.publishAsync(`${a.topicRoot}/request/registry.deregister`, JSON.stringify({ name, correlationId: randomUUID() }), { qos: 1 });
    await page.locator(`tr[data-service="${name}"]`).waitFor({ state: 'detached' });
    samples.liveUpdateMs.push(performance.now() - t1);
    await c.endAsync();
    samples.bytes = bytes;
    await browser.close();
  }
  results.statusPage = { firstLoad: stats(samples.firstLoadMs), liveUpdate: stats(samples.liveUpdateMs), documentBytes: samples.bytes, cold: 'a new Chromium process per sample' };
  await a.stop();
}

// The README's screenshot: a few services in the states an operator meets.
if (values.screenshot) {
  const { chromium } = await import('playwright-core');
  const health = { intervalMs: 500, timeoutMs: 300, retries: 2, restartDelayMs: 2000, maxRestarts: 2 };
  const a = await startAgent({ agent: { id: 'bench' }, health });
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.ready.mqttPort}`, { protocolVersion: 4 });
  await c.subscribeAsync(`${a.topicRoot}/response/#`, { qos: 1 });
  const ask = (op, body) => c.publishAsync(`${a.topicRoot}/request/${op}`, JSON.stringify({ ...body, correlationId: randomUUID() }), { qos: 1 });
  const idle = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
  const crash = { command: process.execPath, args: ['-e', 'setTimeout(() => process.exit(3), 300)'] };
  await ask('registry.register', { name: 'core-data', check: { type: 'process' }, start: idle, restartPolicy: 'always' });
  await ask('registry.register', { name: 'device-modbus', check: { type: 'process' }, start: crash, restartPolicy: 'on-failure' });
  await ask('registry.register', { name: 'app-rules', check: { type: 'http', url: 'http://127.0.0.1:9/health' }, restartPolicy: 'never' });
  await ask('registry.register', { name: 'support-notify', check: { type: 'process' }, start: idle });
  await ask('services.start', { names: ['core-data', 'device-modbus', 'support-notify'] });
  await sleep(2500);
  await ask('services.stop', { names: ['support-notify'] });
  await sleep(1000);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], headless: true });
  const page = await browser.newPage({ viewport: { width: 1200, height: 240 } });
  await page.goto(`http://127.0.0.1:${a.ready.httpPort}/`);
  await page.locator('tr[data-service="support-notify"]').waitFor();
  await sleep(500);
  await page.screenshot({ path: values.screenshot, fullPage: true });
  await browser.close();
  await c.endAsync();
  await a.stop();
}

console.log(JSON.stringify(results, null, 2));
