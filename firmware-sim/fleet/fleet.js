// A fleet of simulated devices beating over a few MQTT connections (never one per device), optionally
// behind a simulated plugin, with scripted failures; the load generator of the trust benchmarks.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { makeScript, summarize } from './script.js';
import { TrustMonitor } from './trust-monitor.js';

const MAX_BATCH = 2_000;
/** Past this much unsent data on a socket the fleet waits: it measures the broker, not Node's buffers. */
const HIGH_WATER = 4 * 1024 * 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the fleet until `o.durationS` passes or `signal` aborts; resolves with the summary.
 * @param {ReturnType<import('./options.js').parseFleetArgs>} o
 * @param {{ signal?: AbortSignal, onProgress?: (p: object) => void, warn?: (line: string) => void }} hooks
 */
export async function runFleet(o, hooks = {}) {
  const warn = hooks.warn ?? (() => {});
  const script = makeScript(o);
  const root = o.topicRoot;
  const connect = (role) =>
    mqtt.connectAsync(o.broker, {
      protocolVersion: o.protocolVersion,
      username: o.username,
      password: o.password,
      clientId: `sma-sim-${process.pid}-${role}-${randomUUID().slice(0, 8)}`,
      queueQoSZero: false,
      reconnectPeriod: 1_000,
    });
  const control = await connect('control');
  const publishers = [];
  for (let k = 0; k < o.connections; k++) publishers.push(await connect(`beat${k}`));

  const lastSent = new Float64Array(o.devices);
  const monitor = new TrustMonitor({ idPrefix: o.idPrefix, timeoutMs: o.timeoutMs, lastSent });
  const responses = new Map();
  const state = { sent: 0, reregisterRequests: 0, deviceSetsSent: 0, pluginBeats: 0, publishErrors: 0, peakRate: 0 };
  const start = performance.now();
  const elapsedS = () => (performance.now() - start) / 1000;
  const rereg = `${root}/plugin/${o.plugin}/reregister`;

  control.on('message', (topic, payload) => {
    if (topic.startsWith(`${root}/event/trust/`)) return monitor.onEvent(payload);
    if (topic === rereg) {
      state.reregisterRequests++;
      if (o.deviceSet && script.pluginAliveAt(elapsedS())) sendDeviceSet(o.reregisterDrop);
      return;
    }
    const body = safeJson(payload);
    if (body?.correlationId) responses.get(body.correlationId)?.(body);
  });
  await control.subscribeAsync([`${root}/event/trust/#`, `${root}/response/#`, ...(o.plugin ? [rereg] : [])], { qos: 1 });

  function sendDeviceSet(drop) {
    const count = Math.max(0, o.devices - drop);
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(`{"id":${JSON.stringify(o.idPrefix + i)}}`);
    const body = `{"devices":[${ids.join(',')}]}`;
    if (body.length > 1024 * 1024) warn(`device set of ${count} devices is ${(body.length / 1048576).toFixed(1)} MiB: the agent may refuse it`);
    control.publish(`${root}/plugin/${o.plugin}/devices`, body, { qos: 1 });
    state.deviceSetsSent++;
  }

  let pluginRegistered;
  if (o.plugin && o.registerPlugin) {
    const correlationId = randomUUID();
    const answer = new Promise((resolve) => responses.set(correlationId, resolve));
    const request = { name: o.plugin, check: { type: 'heartbeat' }, plugin: true, correlationId };
    control.publish(`${root}/request/registry.register`, JSON.stringify(request), { qos: 1 });
    const reply = await Promise.race([answer, sleep(10_000).then(() => undefined)]);
    pluginRegistered = reply?.ok === true;
    if (!pluginRegistered) warn(`plugin ${o.plugin} not registered: ${reply ? JSON.stringify(reply.error) : 'no answer in 10 s'}`);
  }
  if (o.plugin && o.deviceSet) sendDeviceSet(0);

  const pluginTimer = o.plugin
    ? setInterval(() => {
        if (!script.pluginAliveAt(elapsedS())) return;
        control.publish(`${root}/heartbeat/service/${o.plugin}`, '', { qos: 0 });
        state.pluginBeats++;
      }, o.pluginBeatMs)
    : undefined;

  const payload = o.plugin ? Buffer.from(JSON.stringify({ plugin: o.plugin })) : Buffer.alloc(0);
  const topicBase = `${root}/heartbeat/device/${o.idPrefix}`;
  const onPublished = (err) => {
    if (err) state.publishErrors++;
  };
  let budget = 0;
  let lastT = 0;
  let cursor = 0;
  let next = 0;
  let running = true;

  function pump() {
    if (!running) return;
    const t = elapsedS();
    const rate = script.rateAt(t);
    // Never more than a second behind: a saturated broker shows as a lower achieved rate, not a flood later.
    budget = Math.min(budget + rate * (t - lastT), state.sent + Math.max(rate, 1));
    lastT = t;
    if (publishers.some((c) => (c.stream?.writableLength ?? 0) > HIGH_WATER)) return void setTimeout(pump, 5);
    const silent = script.silentAt(t);
    if (silent >= o.devices) budget = state.sent;
    let n = Math.min(Math.floor(budget - state.sent), MAX_BATCH);
    const full = n === MAX_BATCH;
    const now = Date.now();
    for (; n > 0; n--) {
      if (cursor < silent) cursor = silent;
      const client = publishers[next];
      next = next + 1 === publishers.length ? 0 : next + 1;
      if (o.qos === 0) client.publish(topicBase + cursor, payload, { qos: 0 });
      else client.publish(topicBase + cursor, payload, { qos: 1 }, onPublished);
      lastSent[cursor] = now;
      cursor = cursor + 1 === o.devices ? 0 : cursor + 1;
      state.sent++;
    }
    if (full) setImmediate(pump);
    else setTimeout(pump, 2);
  }

  let lastSentCount = 0;
  let lastTick = 0;
  const progressTimer = setInterval(() => {
    const t = elapsedS();
    const rate = (state.sent - lastSentCount) / (t - lastTick);
    state.peakRate = Math.max(state.peakRate, rate);
    lastSentCount = state.sent;
    lastTick = t;
    hooks.onProgress?.({
      t,
      rate,
      sent: state.sent,
      devices: o.devices,
      silent: script.silentAt(t),
      pluginAlive: o.plugin ? script.pluginAliveAt(t) : undefined,
      none: monitor.none.size,
      events: monitor.events,
    });
  }, 1_000);

  pump();
  await new Promise((resolve) => {
    const timer = o.durationS === undefined ? undefined : setTimeout(resolve, o.durationS * 1000);
    hooks.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
    if (hooks.signal?.aborted) resolve();
  });
  running = false;
  const durationS = elapsedS();
  // Late events: the broker's queue and the agent's last decisions. The plugin lives on meanwhile, so
  // that the end of the run does not read as the plugin dying.
  await sleep(o.settleS * 1000);
  clearInterval(pluginTimer);
  clearInterval(progressTimer);
  await Promise.all([control, ...publishers].map((c) => c.endAsync()));

  return {
    broker: o.broker,
    topicRoot: root,
    devices: o.devices,
    connections: o.connections,
    durationS: Math.round(durationS * 10) / 10,
    sent: state.sent,
    targetRate: o.rate,
    achievedRate: Math.round(state.sent / durationS),
    peakRate: Math.round(state.peakRate),
    silentDevices: script.silentCount,
    plugin: o.plugin,
    pluginRegistered,
    pluginBeats: state.pluginBeats,
    reregisterRequests: state.reregisterRequests,
    deviceSetsSent: state.deviceSetsSent,
    events: { total: monitor.events, ...monitor.byLevel, byReason: monitor.byReason },
    noneAtEnd: monitor.none.size,
    lateness: summarize(monitor.lateness),
    unreadableEvents: monitor.unreadable,
    publishErrors: state.publishErrors,
  };
}

function safeJson(payload) {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
