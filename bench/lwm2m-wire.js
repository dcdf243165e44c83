// Issue 12 item 5: Read latency on the wire, the agent as a real process beside a C CoAP stack in the same
// run: libcoap's coap-server-notls (Debian libcoap3-bin) serving a resource of the same size as the agent's
// /3/0, and the agent (dist/main.js, LwM2M client registered with a minimal registrar) for /3/0. The same
// client (the coap package's Agent, one request at a time, confirmable, on loopback) asks both, interleaved
// in rounds so that machine load hits both alike.
// A third peer, the Node floor: the `coap` package's own Server in a process of its own, answering every GET
// with a fixed payload of the same size (what any Node LwM2M client on that package pays before its logic).
// Run: npm run build && node bench/lwm2m-wire.js   (also run by `npm run bench`)
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { percentile, sleep, startAgent } from './_agent-process.js';

const SERVER = '/usr/bin/coap-server-notls';
if (!existsSync(SERVER)) {
  console.error('bench/lwm2m-wire.js: coap-server-notls missing (apt-get install libcoap3-bin)');
  process.exit(2);
}
const READS = 2000;
const ROUNDS = 10;
const WARMUP = 200;
const coap = await import('coap');

const udpPort = () =>
  new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// A registrar: accepts Register and Update, so the agent's client settles.
const registrar = coap.createServer((req, res) => {
  res.code = req.method === 'POST' && req.url.startsWith('/rd') && !req.url.startsWith('/rd/') ? '2.01' : '2.04';
  if (res.code === '2.01') res.setOption('Location-Path', [Buffer.from('rd'), Buffer.from('1')]);
  res.end();
});
await new Promise((r) => registrar.listen(0, '127.0.0.1', r));
const registrarPort = registrar._sock.address().port;

const agentCoapPort = await udpPort();
const agent = await startAgent({ lwm2m: { serverUri: `coap://127.0.0.1:${registrarPort}`, lifetimeS: 3600, localPort: agentCoapPort, acceptFrom: 'any' } });

const cPort = await udpPort();
const c = spawn(SERVER, ['-A', '127.0.0.1', '-p', String(cPort), '-d', '4', '-v', '0'], { stdio: 'ignore' });
await sleep(300);

const client = new coap.Agent({ type: 'udp4' });
function request(port, method, pathname, o = {}) {
  return new Promise((resolve, reject) => {
    const req = client.request({ host: '127.0.0.1', port, pathname, method, confirmable: true, ...o });
    req.on('response', (res) => resolve(res));
    req.on('error', reject);
    req.end(o.payload);
  });
}

// Wait for the agent's front, then give the C server a resource of the same size (dynamic resource, PUT).
let agentBody;
for (let i = 0; i < 100 && !agentBody; i++) {
  const res = await request(agentCoapPort, 'GET', '/3/0', { accept: 110 }).catch(() => undefined);
  if (res?.code === '2.05') agentBody = res.payload;
  else await sleep(100);
}
if (!agentBody) throw new Error('the agent did not serve /3/0');
const put = await request(cPort, 'PUT', '/bench', { payload: Buffer.alloc(agentBody.length, 'x') });
if (!put.code.startsWith('2.')) throw new Error(`coap-server-notls refused the PUT: ${put.code}`);

const nodePort = await udpPort();
const floorServer = `const coap = require('coap'); const body = Buffer.alloc(${agentBody.length}, 'x');
coap.createServer((req, res) => { res.setOption('Content-Format', 110); res.end(body); }).listen(${nodePort}, '127.0.0.1');`;
const nodeFloor = spawn(process.execPath, ['--max-semi-space-size=4', '-e', floorServer], { stdio: 'ignore', cwd: new URL('..', import.meta.url).pathname });
for (let i = 0; i < 100; i++) {
  if ((await request(nodePort, 'GET', '/floor').catch(() => undefined))?.code === '2.05') break;
  await sleep(50);
}

async function sample(port, pathname, accept, n) {
  const t = new Float64Array(n);
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const res = await request(port, 'GET', pathname, accept === undefined ? {} : { accept });
    t[i] = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.code !== '2.05') throw new Error(`${pathname}: ${res.code}`);
    bytes = res.payload.length;
  }
  return { t: [...t], bytes };
}

await sample(cPort, '/bench', undefined, WARMUP);
await sample(nodePort, '/floor', undefined, WARMUP);
await sample(agentCoapPort, '/3/0', 110, WARMUP);
const all = { c: [], node: [], agent: [] };
let bytes = { c: 0, node: 0, agent: 0 };
for (let r = 0; r < ROUNDS; r++) {
  const a = await sample(cPort, '/bench', undefined, READS / ROUNDS);
  const n = await sample(nodePort, '/floor', undefined, READS / ROUNDS);
  const b = await sample(agentCoapPort, '/3/0', 110, READS / ROUNDS);
  all.c.push(...a.t);
  all.node.push(...n.t);
  all.agent.push(...b.t);
  bytes = { c: a.bytes, node: n.bytes, agent: b.bytes };
}
for (const k of Object.keys(all)) all[k].sort((x, y) => x - y);
const row = (name, xs, n) => `| ${name} | ${n} | ${percentile(xs, 50).toFixed(3)} | ${percentile(xs, 90).toFixed(3)} | ${percentile(xs, 99).toFixed(3)} |`;
console.log(`node ${process.version}, ${process.arch}; ${READS} reads each, ${ROUNDS} interleaved rounds after ${WARMUP} warm-up; client: coap package Agent, CON, one at a time, loopback`);
console.log('| server | bytes | p50 ms | p90 ms | p99 ms |');
console.log('|---|---|---|---|---|');
console.log(row('coap-server-notls (libcoap, C) GET /bench', all.c, bytes.c));
console.log(row('`coap` package Server, Node, fixed payload (the Node floor)', all.node, bytes.node));
console.log(row('sma-bridge agent process GET /3/0 (SenML JSON)', all.agent, bytes.agent));
console.log(`agent p50 / C p50: ${(percentile(all.agent, 50) / percentile(all.c, 50)).toFixed(2)}x; Node floor p50 / C p50: ${(percentile(all.node, 50) / percentile(all.c, 50)).toFixed(2)}x`);

client.close();
c.kill('SIGTERM');
nodeFloor.kill('SIGTERM');
await agent.stop();
registrar.close();
process.exit(0);
