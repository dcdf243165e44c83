// Issue 14 benchmark: exit of a spawned service to the restart being issued (the RESTART event on MQTT).
// Run: npm run build && node bench/exit-restart.js   (SAMPLES=n to change the count; BENCH_HEALTH='{...}' merges
// into the health section, for comparing with builds that know other keys).
// Each sample is a fresh service (process executor, HTTP check on the firmware-sim service) killed with
// SIGKILL once it is UP, so no back-off from an earlier exit stretches it. The goal: p99 within
// health.restartDelayMs + 50 ms. systemd is not running on this machine, so no systemd-run peer is measured here.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { agentClient, startAgent, percentile, freePort, sleep, ROOT } from './_agent-process.js';

const samples = Number(process.env.SAMPLES ?? 50);
const health = { restartDelayMs: 1000, ...JSON.parse(process.env.BENCH_HEALTH ?? '{}') };
const a = await startAgent({ health });
const { client, events, request } = await agentClient(a, 'event/service/');
const seen = (name, pred) => events.some((x) => x.e.name === name && pred(x.e));

const delays = [];
for (let i = 0; i < samples; i++) {
  const name = `exit-${i}`;
  const port = await freePort();
  await request('registry.register', { name, check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
    start: { command: process.execPath, args: [join(ROOT, 'firmware-sim/service.js'), '--port', String(port)] } });
  await request('services.start', { names: [name] });
  while (!seen(name, (e) => e.type === 'HEALTH' && e.to === 'UP')) await sleep(5);
  const pid = Number(execFileSync('sh', ['-c', `pgrep -f -- '--port ${port}$' | head -1`]).toString().trim());
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  while (!seen(name, (e) => e.type === 'RESTART')) await sleep(2);
  delays.push(events.find((x) => x.e.name === name && x.e.type === 'RESTART').at - killedAt);
  await request('services.stop', { names: [name] });
  await request('registry.deregister', { name });
}
await client.endAsync();
await a.stop();

// The floor on this machine at this load: a bare Node parent that restarts its child restartDelayMs after the
// child's exit event, measured in-process (no agent, no MQTT). What the agent adds is the difference.
const floor = [];
for (let i = 0; i < samples; i++) {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  const killedAt = performance.now();
  const issued = new Promise((resolve) => child.once('exit', () => setTimeout(() => resolve(performance.now()), health.restartDelayMs)));
  child.kill('SIGKILL');
  floor.push((await issued) - killedAt);
}

const r = (v) => Math.round(v * 10) / 10;
const stats = (xs) => {
  xs.sort((x, y) => x - y);
  return { p50Ms: r(percentile(xs, 50)), p90Ms: r(percentile(xs, 90)), p99Ms: r(percentile(xs, 99)), maxMs: r(xs.at(-1)) };
};
console.log(JSON.stringify({
  exitToRestart: { samples, health, ...stats(delays), goalP99Ms: health.restartDelayMs + 50, loadAverage1m: r(loadavg()[0]) },
  bareNodeFloor: stats(floor),
}, null, 2));
