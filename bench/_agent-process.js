// Starts dist/main.js as a real process for benchmarks; resolves on its `ready` log line.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// The agent refuses SMA_ variables that name no configuration key; the bench's own settings stay out of its way.
const withoutSmaVariables = (env) => Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('SMA_')));

/** `root`: the checkout whose dist/main.js runs (another build of the agent, for a before/after figure).
 * `config.agent: {}` leaves the id to the agent's default (the host name), as on embedded defaults. */
export async function startAgent(config = {}, root = ROOT) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sma-bench-'));
  const full = { agent: { id: 'bench' }, dataDir, http: { port: 0 }, log: { level: 'warn' }, ...config,
    mqtt: { broker: { host: '127.0.0.1', port: 0 }, ...(config.mqtt ?? {}) } };
  const configPath = join(dataDir, 'config.json');
  writeFileSync(configPath, JSON.stringify(full));
  const t0 = performance.now();
  // As the bin's shebang and `npm start` run it (src/main.ts says why); MALLOC_ARENA_MAX=2 too, unless the
  // bench's own environment sets it (the soak's comparison with glibc's default: MALLOC_ARENA_MAX=16 on 2 cores).
  const child = spawn(process.execPath, ['--max-semi-space-size=4', ...(process.env.BENCH_AGENT_FLAGS ?? '').split(' ').filter(Boolean), join(root, 'dist/main.js'), 'start', '-c', configPath], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { MALLOC_ARENA_MAX: '2', ...withoutSmaVariables(process.env), SMA_LOG_LEVEL: 'info' } });
  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      for (const line of buf.split('\n').slice(0, -1)) {
        try { const j = JSON.parse(line); if (j.msg === 'ready') resolve(j); } catch { /* not JSON */ }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
  });
  const readyMs = performance.now() - t0;
  child.stdout.resume();
  return {
    child, ready, readyMs, dataDir, topicRoot: `sma/${ready.agentId}`,
    stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }),
  };
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Debian's mosquitto on a free loopback port with `extraConfig` lines, or undefined (with a line on stderr
 * naming the package) when it is not installed: the benchmark then measures the embedded broker alone.
 */
export async function startMosquitto(extraConfig = '') {
  try {
    execFileSync('sh', ['-c', 'command -v mosquitto']);
  } catch {
    process.stderr.write('mosquitto not found (Debian package mosquitto): only the embedded broker was measured\n');
    return undefined;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sma-bench-mosq-'));
  writeFileSync(join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\n${extraConfig}\n`);
  const child = spawn('mosquitto', ['-c', join(dir, 'm.conf')], { stdio: 'ignore' });
  await sleep(300);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An MQTT 3.1.1 client of the agent's embedded broker that collects the events under `eventPrefix`
 * (e.g. `event/service/`, each with the time it arrived) and sends requests, resolving with their replies.
 */
export async function agentClient(agent, eventPrefix) {
  const { default: mqtt } = await import('mqtt');
  const { randomUUID } = await import('node:crypto');
  const root = agent.topicRoot;
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.ready.mqttPort}`, { protocolVersion: 4 });
  client.stream.setNoDelay(true);
  const events = [];
  const replies = new Map();
  client.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString());
    if (topic.startsWith(`${root}/${eventPrefix}`)) events.push({ at: performance.now(), e: body });
    else replies.get(body.correlationId)?.(body);
  });
  await client.subscribeAsync([`${root}/${eventPrefix}#`, `${root}/response/#`], { qos: 1 });
  const request = (op, body) =>
    new Promise((resolve) => {
      const correlationId = randomUUID();
      replies.set(correlationId, resolve);
      client.publish(`${root}/request/${op}`, JSON.stringify({ ...body, correlationId }), { qos: 1 });
    });
  return { client, events, request };
}
