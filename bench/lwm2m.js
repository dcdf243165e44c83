// LwM2M front (issue 3): Read latency of /3/0 and /33000 (50 services) as a CoAP peer on loopback sees
// it, notifications per second for 1000 observed resources, and the RSS the front adds.
// Run: npm run build && node --expose-gc bench/lwm2m.js   (also run by `npm run bench`)
// The agent side is the real Inbox, operations and embedded registry over LevelDB in a temp dir; the
// supervisor is replaced by an in-memory status table that emits the same STATUS events.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const READ_SERVICES = 50;
const READS = 1000;
const WARMUP = 100;
const OBSERVED = 1000;
const ROUNDS = 5;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'lwm2m', 'lwm2m-front.js'))) {
  console.error('bench/lwm2m.js: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const coap = await import('coap');
const { pino } = await import('pino');
const { systemClock } = await import(join(dist, 'clock.js'));
const { EventBus } = await import(join(dist, 'events.js'));
const { Inbox } = await import(join(dist, 'inbox', 'inbox.js'));
const { Journal } = await import(join(dist, 'inbox', 'journal.js'));
const { EmbeddedRegistry } = await import(join(dist, 'registry', 'embedded-registry.js'));
const { LevelStore } = await import(join(dist, 'store', 'level-store.js'));
const { Lwm2mClient } = await import(join(dist, 'lwm2m', 'lwm2m-front.js'));
const log = pino({ level: 'silent' });
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
};
const mem = () => ({ rss: process.memoryUsage().rss / 1048576, heap: process.memoryUsage().heapUsed / 1048576 });

function serviceControl(events) {
  const status = new Map();
  const view = (r) => {
    const s = r.halted ? 'HALT' : (status.get(r.name) ?? 'RUNNING');
    return { name: r.name, instanceId: r.instanceId, host: r.host, port: r.port, status: s, health: s === 'RUNNING' ? 'UP' : 'DOWN', restarts: r.restarts, source: r.source, plugin: r.plugin };
  };
  const act = async (r, to) => {
    set(r.name, to);
    return { name: r.name, result: 'OK', status: to };
  };
  const set = (name, to) => {
    const from = status.get(name) ?? 'RUNNING';
    status.set(name, to);
    events.emit({ kind: 'service', type: 'STATUS', name, from, to, at: Date.now() });
  };
  return {
    set,
    view,
    health: (r) => ({ name: r.name, health: view(r).health }),
    metrics: async (r) => ({ name: r.name, cpuPercent: 1, memoryBytes: 1 << 20, uptimeS: 1, restarts: r.restarts }),
    start: (r) => act(r, 'RUNNING'),
    stop: (r) => act(r, 'STOPPED'),
    restart: (r) => act(r, 'RUNNING'),
    track() {},
    untrack() {},
    heartbeat() {},
  };
}

async function openAgent(services) {
  const dir = await mkdtemp(join(tmpdir(), 'sma-bench-lwm2m-'));
  const store = await LevelStore.open(join(dir, 'db'));
  const registry = await EmbeddedRegistry.open(store);
  const journal = new Journal(store);
  await journal.open();
  const events = new EventBus();
  const control = serviceControl(events);
  const trust = { query: () => [], counts: () => ({ devices: 0, trusted: 0 }) };
  const ports = { registry, services: control, trust, events, clock: systemClock, self: { name: 'sma-bridge', stop: async () => {}, restart: async () => {} }, agent: { agentId: 'bench', version: '0', startedAt: Date.now() } };
  const inbox = new Inbox(ports, journal, { timeoutMs: 30_000 }, log);
  for (let i = 0; i < services; i++) {
    const t = await inbox.accept({ op: 'registry.register', body: { name: `svc-${String(i).padStart(4, '0')}`, host: '127.0.0.1', port: 10000 + i, check: { type: 'none' } }, origin: 'mqtt' });
    if (!(await t.done).ok) throw new Error('register failed');
  }
  return { inbox, events, control, close: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

/** A registration target that accepts the Register, so the client settles. */
async function registrar() {
  const server = coap.createServer((req, res) => {
    res.code = req.method === 'POST' && req.url.startsWith('/rd') && !req.url.startsWith('/rd/') ? '2.01' : '2.04';
    if (res.code === '2.01') res.setOption('Location-Path', [Buffer.from('rd'), Buffer.from('1')]);
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function startClient(agent, registrarPort) {
  const client = new Lwm2mClient({
    config: { serverUri: `coap://127.0.0.1:${registrarPort}`, endpoint: 'bench', lifetimeS: 3600, localPort: 0, acceptFrom: 'any' },
    intake: agent.inbox,
    events: agent.events,
    clock: systemClock,
    log,
    objectsDir: join(root, 'objects'),
    device: { manufacturer: 'bench', model: 'x', serial: '1', firmwareVersion: '1', softwareVersion: '1', memoryFree: () => 1 << 30, memoryTotal: () => 1 << 31 },
    canReboot: false,
  });
  await client.start();
  return client;
}

// The peer's socket gets a 4 MiB receive buffer (rmem_max here), as an LwM2M server would: 1000
// notifications in one burst overflow Linux's 208 KiB default and come back only by retransmission.
const { createSocket } = await import('node:dgram');
const peerSocket = createSocket('udp4');
await new Promise((r) => peerSocket.bind(0, '127.0.0.1', r));
peerSocket.setRecvBufferSize(4 << 20);
const peer = new coap.Agent({ socket: peerSocket });
function get(port, pathname, accept) {
  return new Promise((resolve, reject) => {
    const req = peer.request({ host: '127.0.0.1', port, pathname, method: 'GET', accept });
    req.on('response', (res) => (res.code === '2.05' ? resolve(res.payload) : reject(new Error(`${pathname}: ${res.code}`))));
    req.on('error', reject);
    req.end();
  });
}

async function latency(port, pathname, accept) {
  for (let i = 0; i < WARMUP; i++) await get(port, pathname, accept);
  const t = new Float64Array(READS);
  let bytes = 0;
  for (let i = 0; i < READS; i++) {
    const t0 = process.hrtime.bigint();
    bytes = (await get(port, pathname, accept)).length;
    t[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  t.sort();
  return { pathname, accept, bytes, p50: t[Math.floor(READS * 0.5)], p99: t[Math.floor(READS * 0.99)] };
}

const reg = await registrar();
const regPort = reg._sock.address().port;

// 1. Read latency with 50 services.
const small = await openAgent(READ_SERVICES);
const c1 = await startClient(small, regPort);
const reads = [await latency(c1.port, '/3/0', 110), await latency(c1.port, '/33000', 110), await latency(c1.port, '/33000', 11542)];
await c1.stop();
await small.close();

// 2. Notifications per second, and 3. RSS added, with 1000 services each observed on Status.
const big = await openAgent(OBSERVED);
await settle();
const memBefore = mem();
const c2 = await startClient(big, regPort);
await settle();
const memStarted = mem();
let received = 0;
let expected = 0;
let done = () => {};
const streams = [];
for (let i = 0; i < OBSERVED; i++) {
  streams.push(
    await new Promise((resolve, reject) => {
      const req = peer.request({ host: '127.0.0.1', port: c2.port, pathname: `/33000/${i}/1`, method: 'GET', observe: true, accept: 0 });
      req.on('response', (stream) => {
        let first = true;
        stream.on('data', () => {
          if (first) {
            first = false;
            return;
          }
          if (++received === expected) done();
        });
        resolve(stream);
      });
      req.on('error', reject);
      req.end();
    }),
  );
}
await settle();
const memObserved = mem();
// With 1000 instances the Register payload (~12 KB of links) went out block-wise (Block1).
const registeredState = c2.registrationState;
const rates = [];
const emitRates = [];
for (let round = 0; round < ROUNDS; round++) {
  const to = round % 2 === 0 ? 'STOPPED' : 'RUNNING';
  expected = received + OBSERVED;
  const sentBefore = c2.notificationsSent;
  const all = new Promise((r) => (done = r));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < OBSERVED; i++) big.control.set(`svc-${String(i).padStart(4, '0')}`, to);
  // Emitted: the front has handed all 1000 to the socket (polled on the event loop, no sleep).
  while (c2.notificationsSent - sentBefore < OBSERVED) await new Promise((r) => setImmediate(r));
  emitRates.push(OBSERVED / (Number(process.hrtime.bigint() - t0) / 1e9));
  await all;
  rates.push(OBSERVED / (Number(process.hrtime.bigint() - t0) / 1e9));
}
await settle();
const memAfter = mem();
for (const s of streams) s.close();
await c2.stop();
await big.close();
reg.close();
peer.close();
peerSocket.close();

const fmt = (n) => n.toFixed(3);
console.log(`node ${process.version}, ${process.arch}; ${READS} reads each after ${WARMUP} warm-up, one at a time, coap Agent on loopback`);
console.log('| read | Accept | bytes | p50 ms | p99 ms |');
console.log('|---|---|---|---|---|');
for (const r of reads) console.log(`| GET ${r.pathname}${r.pathname === '/33000' ? ` (${READ_SERVICES} services)` : ''} | ${r.accept} | ${r.bytes} | ${fmt(r.p50)} | ${fmt(r.p99)} |`);
const summary = (xs) => {
  xs.sort((a, b) => a - b);
  return `median ${xs[Math.floor(xs.length / 2)].toFixed(0)}, min ${xs[0].toFixed(0)}, max ${xs[xs.length - 1].toFixed(0)}`;
};
console.log(`\n${OBSERVED} observed /33000/x/1 (CON notifications), ${ROUNDS} rounds of ${OBSERVED} STATUS events:`);
console.log(`  emitted by the front (event to datagram sent): ${summary(emitRates)} notifications/s`);
console.log(`  received by the peer (every one, retransmissions included): ${summary(rates)} notifications/s`);
const delta = (m) => `RSS ${m.rss.toFixed(1)} MB (${(m.rss - memBefore.rss >= 0 ? '+' : '')}${(m.rss - memBefore.rss).toFixed(1)}), heap ${m.heap.toFixed(1)} MB (${(m.heap - memBefore.heap >= 0 ? '+' : '')}${(m.heap - memBefore.heap).toFixed(1)})`;
console.log(`\nregistration with ${OBSERVED} instance links (Block1): ${registeredState}`);
console.log(`\nmemory, agent with ${OBSERVED} services (after gc): before the front ${delta(memBefore)}`);
console.log(`  front started and registered: ${delta(memStarted)}`);
console.log(`  with ${OBSERVED} observations: ${delta(memObserved)}`);
console.log(`  after ${ROUNDS * OBSERVED} notifications: ${delta(memAfter)}`);
process.exit(0);
