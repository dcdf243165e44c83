// Registry providers (issue 6): list() latency with 100 registered services, the embedded registry
// (LevelDB) against etcd (a real etcd-server started here on free loopback ports), in the same run.
// Run: npm run build && node bench/registry.js   (needs Debian's etcd-server for the etcd half)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICES = 100;
const WARMUP = 200;
const SAMPLES = 2000;
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
if (!existsSync(join(dist, 'registry', 'etcd-registry.js'))) {
  console.error('bench/registry.js: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const { pino } = await import('pino');
const { LevelStore } = await import(join(dist, 'store', 'level-store.js'));
const { EmbeddedRegistry } = await import(join(dist, 'registry', 'embedded-registry.js'));
const { EtcdRegistry } = await import(join(dist, 'registry', 'etcd-registry.js'));
const log = pino({ level: 'silent' });

const registration = (i) => ({
  name: `svc-${String(i).padStart(3, '0')}`,
  host: '127.0.0.1',
  port: 40000 + i,
  check: { type: 'http', url: `http://127.0.0.1:${40000 + i}/ping` },
  config: { logLevel: 'INFO', writable: { pollMs: 1000 + i }, tags: ['a', 'b'] },
});

async function measure(label, registry) {
  for (let i = 0; i < SERVICES; i++) await registry.register(registration(i));
  for (let i = 0; i < WARMUP; i++) await registry.list();
  const times = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = process.hrtime.bigint();
    const records = await registry.list();
    times[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    if (records.length !== SERVICES) throw new Error(`${label}: list() gave ${records.length} records`);
  }
  times.sort();
  const at = (q) => times[Math.min(SAMPLES - 1, Math.floor(q * SAMPLES))];
  const mean = times.reduce((a, b) => a + b, 0) / SAMPLES;
  return { label, p50: at(0.5), p99: at(0.99), mean, max: times[SAMPLES - 1] };
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startEtcd(dir) {
  const [client, peer] = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
  const child = spawn('etcd', [
    '--name', 'bench', '--data-dir', dir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `bench=${peer}`, '--listen-metrics-urls', '',
  ], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${client}/health`);
      if ((await res.json()).health === 'true') return { child, url: client };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('etcd did not start');
}

const results = [];
const levelDir = await mkdtemp(join(tmpdir(), 'sma-bench-level-'));
const store = await LevelStore.open(levelDir);
const embedded = await EmbeddedRegistry.open(store);
results.push(await measure('embedded (LevelDB, sma)', embedded));
await embedded.close();
await store.close();
await rm(levelDir, { recursive: true, force: true });

if (spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0) {
  const etcdDir = await mkdtemp(join(tmpdir(), 'sma-bench-etcd-'));
  const etcd = await startEtcd(etcdDir);
  try {
    const registry = EtcdRegistry.open({ hosts: [etcd.url], prefix: '/bench/', log });
    results.push(await measure('etcd 3.4 (loopback, no cache)', registry));
    await registry.close();
  } finally {
    etcd.child.kill('SIGKILL');
    await new Promise((r) => etcd.child.once('exit', r));
    await rm(etcdDir, { recursive: true, force: true });
  }
} else {
  console.log('etcd half skipped: install Debian package etcd-server');
}

const ms = (v) => v.toFixed(3);
console.log(`registry list() with ${SERVICES} services, ${SAMPLES} calls after ${WARMUP} warm-up (ms)`);
console.log('| provider | p50 | p99 | mean | max |');
console.log('|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.label} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.mean)} | ${ms(r.max)} |`);
process.exit(0);
