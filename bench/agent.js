// Issue 2 benchmarks: idle RSS, start-up to ready, services.list round trip (embedded broker vs mosquitto),
// crash-to-restart delay against its configured bound. Run: npm run build && node bench/agent.js
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { startAgent, startMosquitto, rssBytes, percentile, freePort, sleep, ROOT } from './_agent-process.js';

const MB = 1024 * 1024;

async function requester(url, root) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4 });
  client.stream.setNoDelay(true); // a latency-minded client turns Nagle off, as the agent does
  const waiting = new Map();
  client.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString());
    waiting.get(body.correlationId)?.(body);
    waiting.delete(body.correlationId);
  });
  await client.subscribeAsync(`${root}/response/#`, { qos: 1 });
  return {
    client,
    request(op, body = {}) {
      const correlationId = randomUUID();
      return new Promise((resolve) => {
        waiting.set(correlationId, resolve);
        client.publish(`${root}/request/${op}`, JSON.stringify({ ...body, correlationId }), { qos: 1 });
      });
    },
    close: () => client.endAsync(),
  };
}

async function listLatency(url, root, services, rounds) {
  const r = await requester(url, root);
  for (let i = 0; i < services; i++) {
    const reply = await r.request('registry.register', { name: `svc-${i}`, check: { type: 'none' } });
    if (!reply.ok) throw new Error(JSON.stringify(reply));
  }
  for (let i = 0; i < 50; i++) await r.request('services.list'); // warm-up
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    const reply = await r.request('services.list');
    samples.push(performance.now() - t);
    if (reply.result.length !== services) throw new Error('wrong count');
  }
  await r.close();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

const results = {};

// 1. Start-up and idle RSS (embedded broker, store, HTTP up; no LwM2M).
{
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const a = await startAgent();
    runs.push({ readyMs: a.readyMs, agentMs: a.ready.startupMs });
    if (i === 4) {
      await sleep(3000);
      results.idleRssMB = rssBytes(a.child.pid) / MB;
    }
    await a.stop();
  }
  runs.sort((x, y) => x.readyMs - y.readyMs);
  results.startupMedianMs = runs[2].readyMs;
  results.startupInsideAgentMedianMs = runs.map((r) => r.agentMs).sort((a, b) => a - b)[2];
}

// 2. services.list round trip with 100 services: embedded broker vs mosquitto, same run.
{
  const a = await startAgent();
  results.listEmbedded = await listLatency(`mqtt://127.0.0.1:${a.ready.mqttPort}`, a.topicRoot, 100, 1000);
  await a.stop();
  // Nagle off on the broker too (its default is on), as the agent and the bench client have it.
  const mosquitto = await startMosquitto('set_tcp_nodelay true');
  if (mosquitto) {
    const b = await startAgent({ mqtt: { mode: 'external', url: mosquitto.url } });
    results.listMosquitto = await listLatency(mosquitto.url, b.topicRoot, 100, 1000);
    await b.stop();
    mosquitto.stop();
  }
}

// 3. Crash-to-restart delay against the bound intervalMs x retries + restartDelayMs.
{
  const health = { intervalMs: 500, timeoutMs: 300, retries: 3, restartDelayMs: 500, backoffMaxMs: 4000, maxRestarts: 50, restartWindowMs: 600000 };
  const a = await startAgent({ health });
  const url = `mqtt://127.0.0.1:${a.ready.mqttPort}`;
  const r = await requester(url, a.topicRoot);
  // Each sample is a fresh service killed once, so no back-off from an earlier crash stretches it.
  const events = [];
  r.client.on('message', (topic, payload) => { if (topic.includes('/event/service/victim-')) events.push({ at: performance.now(), e: JSON.parse(payload) }); });
  await r.client.subscribeAsync(`${a.topicRoot}/event/service/#`, { qos: 1 });
  const delays = [];
  for (let i = 0; i < 5; i++) {
    const name = `victim-${i}`;
    const port = await freePort();
    await r.request('registry.register', { name, check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
      start: { command: process.execPath, args: [join(ROOT, 'firmware-sim/service.js'), '--port', String(port)] } });
    await r.request('services.start', { names: [name] });
    while (!events.some((x) => x.e.name === name && x.e.type === 'HEALTH' && x.e.to === 'UP')) await sleep(10);
    const pid = Number(execFileSync('sh', ['-c', `pgrep -f -- '--port ${port}' | head -1`]).toString().trim());
    const killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
    while (!events.some((x) => x.e.name === name && x.e.type === 'RESTART')) await sleep(5);
    delays.push(events.find((x) => x.e.name === name && x.e.type === 'RESTART').at - killedAt);
    await r.request('services.stop', { names: [name] });
  }
  await r.close();
  await a.stop();
  delays.sort((x, y) => x - y);
  results.crashToRestart = { medianMs: delays[2], maxMs: delays[4], boundMs: health.intervalMs * health.retries + health.restartDelayMs };
}

console.log(JSON.stringify(results, null, 2));
