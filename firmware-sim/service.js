#!/usr/bin/env node
// A simulated gateway service for tests and the README demo: answers /ping and /health, optionally sends
// MQTT heartbeats, and can be told to crash, hang or report DOWN.
//
//   node firmware-sim/service.js --port P [--name N] [--mqtt URL --topic-root R [--register]]
//                                [--crash-after-ms X] [--health DOWN] [--hang] [--grow-mb N]
//
// --register: the service registers itself with the agent (registry.register over MQTT, HTTP check on its
// own /health) once it listens, and deregisters when it stops gracefully (SIGTERM), as the EdgeX seeds
// ask of every service.
//
// GET /ping -> 200 "pong"; GET /health -> 200 {"status":"UP"|"DOWN"} (200 even when DOWN, so that a
// checker must read the body); POST /crash exits 1; POST /hang stops answering; POST /down reports DOWN.
// POST /grow?mb=N holds N MB more (touched, so resident), POST /shrink lets it all go (collected at once when
// node runs with --expose-gc), GET /memory answers the RSS; --grow-mb N holds N MB from the start (a leak).
// Prints `listening <port>` on stdout when ready (--port 0 picks a free port). SIGTERM exits 0.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    name: { type: 'string', default: 'sim-service' },
    mqtt: { type: 'string' },
    'topic-root': { type: 'string', default: 'sma/sim' },
    'crash-after-ms': { type: 'string' },
    health: { type: 'string', default: 'UP' },
    hang: { type: 'boolean', default: false },
    register: { type: 'boolean', default: false },
    'grow-mb': { type: 'string', default: '0' },
  },
});

let health = opts.health.toUpperCase() === 'DOWN' ? 'DOWN' : 'UP';
let hanging = opts.hang;
/** Memory held on purpose (a leak to watch): buffers filled, so that their pages are resident. */
let held = [];
const grow = (mb) => {
  for (let i = 0; i < mb; i++) held.push(Buffer.alloc(1024 * 1024, 1));
};
grow(Number(opts['grow-mb']));

const server = createServer((req, res) => {
  // A hung service accepts the connection and never answers.
  if (hanging) return;
  const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
  switch (route) {
    case 'GET /ping':
      return send(res, 200, 'text/plain', 'pong');
    case 'GET /health':
      return send(res, 200, 'application/json', JSON.stringify({ status: health, name: opts.name }));
    case 'POST /down':
      health = 'DOWN';
      return send(res, 200, 'application/json', JSON.stringify({ status: health }));
    case 'POST /up':
      health = 'UP';
      return send(res, 200, 'application/json', JSON.stringify({ status: health }));
    case 'POST /hang':
      send(res, 202, 'text/plain', 'hanging');
      hanging = true;
      return;
    case 'POST /grow':
      grow(Math.min(1024, Number(new URL(req.url, 'http://x').searchParams.get('mb') ?? 0)));
      return send(res, 200, 'application/json', JSON.stringify({ heldMb: held.length }));
    case 'POST /shrink':
      held = [];
      globalThis.gc?.();
      return send(res, 200, 'application/json', JSON.stringify({ heldMb: 0 }));
    case 'GET /memory':
      return send(res, 200, 'application/json', JSON.stringify({ rss: process.memoryUsage().rss, heldMb: held.length }));
    case 'POST /crash':
      res.writeHead(202, { 'content-type': 'text/plain' });
      return res.end('crashing', () => process.exit(1));
    default:
      return send(res, 404, 'text/plain', 'not found');
  }
});

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

let mqttClient;
server.listen(Number(opts.port), opts.host, async () => {
  const { port } = server.address();
  if (opts.mqtt) mqttClient = await startHeartbeat(opts.mqtt, `${opts['topic-root']}/heartbeat/service/${opts.name}`);
  if (opts.mqtt && opts.register) {
    await request('registry.register', { name: opts.name, host: opts.host, port, check: { type: 'http', url: `http://${opts.host}:${port}/health` } });
  }
  process.stdout.write(`listening ${port}\n`);
});

if (opts['crash-after-ms'] !== undefined) {
  setTimeout(() => process.exit(1), Number(opts['crash-after-ms']));
}

async function startHeartbeat(url, topic) {
  // Loaded only when asked for, so the plain HTTP service starts fast.
  const { default: mqtt } = await import('mqtt');
  const client = mqtt.connect(url, { reconnectPeriod: 1000 });
  const beat = () => {
    if (!hanging && client.connected) client.publish(topic, JSON.stringify({ at: new Date().toISOString(), health }));
  };
  client.on('connect', beat);
  client.on('error', () => {}); // reconnects by itself; a missing broker must not kill the service
  setInterval(beat, 1000).unref();
  return client;
}

/** One request to the agent, QoS 1, correlated in the body; resolves with its reply (or after 5 s without). */
async function request(op, body) {
  const correlationId = `${opts.name}-${op}-${Date.now()}`;
  // CONTRACT 5: a broker user's answers come at R/response/{username}/{id}, the only ones it may read;
  // without a login (loopback, no users) the client is an operator, answered at R/response/{id}.
  const username = decodeURIComponent(new URL(opts.mqtt).username);
  const replyTopic = username
    ? `${opts['topic-root']}/response/${username}/${correlationId}`
    : `${opts['topic-root']}/response/${correlationId}`;
  if (!mqttClient.connected) await new Promise((resolve) => mqttClient.once('connect', resolve));
  await mqttClient.subscribeAsync(replyTopic, { qos: 1 });
  const reply = new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 5000);
    mqttClient.on('message', (topic, payload) => {
      if (topic !== replyTopic) return;
      clearTimeout(timer);
      resolve(JSON.parse(payload.toString()));
    });
  });
  await mqttClient.publishAsync(`${opts['topic-root']}/request/${op}`, JSON.stringify({ ...body, correlationId }), { qos: 1 });
  return reply;
}

process.on('SIGTERM', async () => {
  // A graceful stop deregisters first (the seeds: every service deregisters when it goes down gracefully).
  if (mqttClient && opts.register) await request('registry.deregister', { name: opts.name }).catch(() => {});
  mqttClient?.end(true);
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
});
