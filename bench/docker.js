// Issue 24 benchmarks: the Docker executor beside the docker CLI, against a private dockerd (root needed).
// Run: npm run build && node bench/docker.js   (SAMPLES=n, METRICS_S=seconds of the metrics phase)
// 1. restart through the agent (MQTT services.restart -> reply) vs `docker restart` (the Debian CLI), same
//    container kind (busybox httpd under a shell that exits on SIGTERM), p50/p90;
// 2. a container's die (a kill through the Engine API) to the restart being issued (RESTART event on MQTT),
//    goal p99 within restartDelayMs + 100 ms;
// 3. the agent's CPU while 20 containers' metrics are asked every 10 s (and checked every 10 s), goal < 1 % of
//    one core; beside it `docker stats --no-stream` for the same 20 containers, its wall time per round.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { agentClient, startAgent, percentile, freePort, sleep } from './_agent-process.js';
import { engineCall, startDockerd } from './_dockerd.js';

const samples = Number(process.env.SAMPLES ?? 30);
const metricsS = Number(process.env.METRICS_S ?? 60);
const health = { intervalMs: 10_000, restartDelayMs: 1000, restartWindowMs: 1500, maxRestarts: 1000, startGraceMs: 30_000 };
const dockerd = await startDockerd();
const image = 'sma-bench-busybox';
const web = (port) => ['sh', '-c', `trap 'exit 0' TERM; /bin/busybox mkdir -p /www; echo UP > /www/health; /bin/busybox httpd -f -p ${port} -h /www & wait`];
const create = (name, args) => dockerd.docker('create', '--name', name, '--network', 'host', image, ...args);

const a = await startAgent({ health, executor: { type: 'process', docker: { socket: dockerd.socket, stopGraceMs: 1000 } } });
const { client, events, request } = await agentClient(a, 'event/service/');
const countOf = (name, pred) => events.filter((x) => x.e.name === name && pred(x.e)).length;
const waitFor = async (fn) => { while (!fn()) await sleep(2); };

// 1. restart: agent vs CLI
const agentPort = await freePort();
const cliPort = await freePort();
await create('via-agent', web(agentPort));
await create('via-cli', web(cliPort));
await dockerd.docker('start', 'via-cli');
await request('registry.register', { name: 'via-agent', check: { type: 'http', url: `http://127.0.0.1:${agentPort}/health` }, container: { name: 'via-agent' } });
await request('services.start', { names: ['via-agent'] });
await waitFor(() => countOf('via-agent', (e) => e.type === 'HEALTH' && e.to === 'UP') > 0);
const viaAgent = [];
const viaCli = [];
for (let i = 0; i < samples; i++) {
  let t = performance.now();
  const reply = await request('services.restart', { names: ['via-agent'] });
  if (reply.result?.[0]?.result !== 'OK') throw new Error(JSON.stringify(reply));
  viaAgent.push(performance.now() - t);
  t = performance.now();
  execFileSync('/usr/bin/docker', ['-H', `unix://${dockerd.socket}`, 'restart', '-t', '1', 'via-cli']);
  viaCli.push(performance.now() - t);
}

// 2. die -> restart issued: from the engine's own time of the die event to the agent's time on its RESTART event
// (one host clock), so the kill's own path through the engine is not counted.
const dies = [];
const { request: httpRequest } = await import('node:http');
const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['die'], container: ['via-agent'] }));
const eventReq = httpRequest({ socketPath: dockerd.socket, path: `/events?filters=${filters}` }, (res) => {
  let buf = '';
  res.on('data', (c) => {
    buf += c;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) dies.push(JSON.parse(line).timeNano / 1e6);
    }
  });
});
eventReq.on('error', () => undefined);
eventReq.end();
await sleep(200);
const dieToRestart = [];
const killToRestart = [];
for (let i = 0; i < samples; i++) {
  const ups = countOf('via-agent', (e) => e.type === 'HEALTH' && e.to === 'UP');
  const restarts = countOf('via-agent', (e) => e.type === 'RESTART');
  await sleep(health.restartWindowMs + 100); // the previous restart leaves the window: no back-off stretches this one
  const t = performance.now();
  await engineCall(dockerd.socket, 'POST', '/containers/via-agent/kill');
  await waitFor(() => countOf('via-agent', (e) => e.type === 'RESTART') > restarts);
  const issued = events.filter((x) => x.e.name === 'via-agent' && x.e.type === 'RESTART').at(-1);
  killToRestart.push(issued.at - t);
  await waitFor(() => dies.length > i);
  dieToRestart.push(Date.parse(issued.e.at) - dies[i]);
  await waitFor(() => countOf('via-agent', (e) => e.type === 'HEALTH' && e.to === 'UP') > ups);
}
eventReq.destroy();
await request('services.stop', { names: ['via-agent'] });
await dockerd.docker('stop', '-t', '1', 'via-cli');

// 3. metrics of 20 containers every 10 s
const names = [];
for (let i = 0; i < 20; i++) {
  const name = `m-${i}`;
  names.push(name);
  await create(name, ['sleep', '100000']);
  await request('registry.register', { name, check: { type: 'process' }, container: { name } });
}
await request('services.start', { names });
await request('services.metrics', { names }); // each container's first sample (waits for the engine's second one)
const ticks = () => { const f = readFileSync(`/proc/${a.child.pid}/stat`, 'utf8').slice(readFileSync(`/proc/${a.child.pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' '); return Number(f[11]) + Number(f[12]); };
const t0 = performance.now();
const c0 = ticks();
const metricsMs = [];
const cliMs = [];
for (let round = 0; round < metricsS / 10; round++) {
  const due = t0 + (round + 1) * 10_000;
  let t = performance.now();
  const reply = await request('services.metrics', { names });
  metricsMs.push(performance.now() - t);
  if (reply.result.length !== 20) throw new Error('metrics of 20 expected');
  t = performance.now();
  execFileSync('/usr/bin/docker', ['-H', `unix://${dockerd.socket}`, 'stats', '--no-stream', ...names]);
  cliMs.push(performance.now() - t);
  await sleep(Math.max(0, due - performance.now()));
}
const cpuPercent = ((ticks() - c0) / 100 / ((performance.now() - t0) / 1000)) * 100;

await client.endAsync();
await a.stop();
await dockerd.stop();

const r = (v) => Math.round(v * 10) / 10;
const stats = (xs) => {
  xs.sort((x, y) => x - y);
  return { p50Ms: r(percentile(xs, 50)), p90Ms: r(percentile(xs, 90)), p99Ms: r(percentile(xs, 99)), maxMs: r(xs.at(-1)) };
};
console.log(JSON.stringify({
  restart: { samples, agent: stats(viaAgent), dockerCli: stats(viaCli) },
  dieToRestartIssued: { samples, restartDelayMs: health.restartDelayMs, ...stats(dieToRestart), goalP99Ms: health.restartDelayMs + 100, fromTheKillRequest: stats(killToRestart) },
  metricsOf20: { seconds: metricsS, agentCpuPercentOfOneCore: r(cpuPercent * 100) / 100, goalPercent: 1, agentMetricsRequest: stats(metricsMs), dockerStatsNoStream: stats(cliMs),
    note: 'the agent CPU includes the process checks of the 20 containers and the docker CLI runs beside it, in the same window' },
  loadAverage1m: r(loadavg()[0]),
}, null, 2));
