// Issue 26 acceptance: the agent as a Sparkplug B 3.0 edge node over Debian's mosquitto, watched by a test
// host application (test/support/sparkplug-host.ts), the agent a real process from its bin.
// Sparkplug TCK edge assertions covered (constants of tck/.../test/common/Requirements.java, as the edge tests
// SessionEstablishmentTest, SendDataTest, SessionTerminationTest, PrimaryHostTest and ReceiveCommandTest
// list them), by test:
// - session: ID_PRINCIPLES_PERSISTENCE_CLEAN_SESSION_311, ID_PAYLOADS_NDEATH_WILL_MESSAGE,
//   ID_PAYLOADS_NDEATH_WILL_MESSAGE_QOS, ID_PAYLOADS_NDEATH_WILL_MESSAGE_RETAIN,
//   ID_MESSAGE_FLOW_EDGE_NODE_BIRTH_PUBLISH_CONNECT, ID_MESSAGE_FLOW_EDGE_NODE_BIRTH_PUBLISH_WILL_MESSAGE(_TOPIC,
//   _QOS, _WILL_RETAINED), ID_MESSAGE_FLOW_EDGE_NODE_NCMD_SUBSCRIBE, ID_MESSAGE_FLOW_DEVICE_DCMD_SUBSCRIBE
// - births: ID_PAYLOADS_NBIRTH_QOS, _RETAIN, _SEQ, _TIMESTAMP, _BDSEQ, _REBIRTH_REQ; ID_TOPICS_NBIRTH_MQTT,
//   _TOPIC, _SEQ_NUM, _TIMESTAMP, _METRICS, _BDSEQ_INCLUDED, _BDSEQ_MATCHING, _REBIRTH_METRIC;
//   ID_PAYLOADS_SEQUENCE_NUM_REQ_NBIRTH; ID_PAYLOADS_NDEATH_BDSEQ;
//   ID_OPERATIONAL_BEHAVIOR_DATA_COMMANDS_REBIRTH_NAME, _DATATYPE, _VALUE;
//   ID_OPERATIONAL_BEHAVIOR_DATA_PUBLISH_NBIRTH_VALUES, _DBIRTH_VALUES; ID_PAYLOADS_DBIRTH_QOS, _RETAIN,
//   _TIMESTAMP, _SEQ, _SEQ_INC, _ORDER; ID_TOPICS_DBIRTH_MQTT, _TOPIC, _TIMESTAMP, _SEQ, _METRICS;
//   ID_MESSAGE_FLOW_DEVICE_BIRTH_PUBLISH_DBIRTH_TOPIC, _PAYLOAD, _QOS, _RETAINED, _NBIRTH_WAIT,
//   _DBIRTH_MATCH_EDGE_NODE_TOPIC; ID_PRINCIPLES_BIRTH_CERTIFICATES_ORDER, ID_PAYLOADS_NDATA_ORDER,
//   ID_PAYLOADS_DDATA_ORDER
// - STATE: ID_MESSAGE_FLOW_EDGE_NODE_BIRTH_PUBLISH_PHID_WAIT, _PHID_WAIT_ID, _PHID_WAIT_ONLINE,
//   _PHID_WAIT_TIMESTAMP; ID_OPERATIONAL_BEHAVIOR_EDGE_NODE_TERMINATION_HOST_OFFLINE, _HOST_OFFLINE_RECONNECT,
//   _HOST_OFFLINE_TIMESTAMP
// - DATA (every message checked over the whole run): ID_PAYLOADS_NDATA_TIMESTAMP, _SEQ, _QOS, _RETAIN;
//   ID_PAYLOADS_DDATA_TIMESTAMP, _SEQ, _QOS, _RETAIN; ID_TOPICS_NDATA_MQTT, _SEQ_NUM, _TIMESTAMP, _PAYLOAD;
//   ID_TOPICS_DDATA_MQTT, _SEQ_NUM, _TIMESTAMP, _PAYLOAD (only what changed)
// - rebirth: ID_OPERATIONAL_BEHAVIOR_DATA_COMMANDS_REBIRTH_ACTION_2, ID_PAYLOADS_NBIRTH_BDSEQ_REPEAT
// - DDEATH: ID_PAYLOADS_DDEATH_TIMESTAMP, _SEQ, _SEQ_INC, _SEQ_NUMBER; ID_TOPICS_DDEATH_MQTT, _SEQ_NUM, _TOPIC;
//   ID_OPERATIONAL_BEHAVIOR_DEVICE_DDEATH
// - kill -9 and restart: the will from the broker (ID_TOPICS_NDEATH_TOPIC, ID_TOPICS_NDEATH_PAYLOAD,
//   ID_PAYLOADS_NDEATH_SEQ, ID_TOPICS_NDEATH_SEQ), then ID_OPERATIONAL_BEHAVIOR_DATA_COMMANDS_REBIRTH_ACTION_3
//   (the new NBIRTH's bdSeq is the new will's, one more than the last)
// - graceful stop: ID_PAYLOADS_NDEATH_WILL_MESSAGE_PUBLISHER, _DISCONNECT_MQTT311,
//   ID_OPERATIONAL_BEHAVIOR_EDGE_NODE_INTENTIONAL_DISCONNECT_NDEATH, _PACKET; on MQTT 5 (second describe)
//   ID_PRINCIPLES_PERSISTENCE_CLEAN_SESSION_50 (Clean Start) and ID_PAYLOADS_NDEATH_WILL_MESSAGE_PUBLISHER_DISCONNECT_MQTT50
// - a mosquitto restart: the next session with bdSeq + 1 and its own will (second describe)
// Not covered: aliases (none are used: ID_PAYLOADS_ALIAS_UNIQUENESS), templates, and the session expiry
// interval of 0 on MQTT 5 (sent, but mosquitto's log does not show it).
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, ROOT, tempDir, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { startLoggedMosquitto, type LoggedMosquitto } from '../support/mosquitto-log.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { SparkplugHost, type Seen } from '../support/sparkplug-host.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
const NODE_METRICS = {
  bdSeq: 'Int64',
  'Node Control/Rebirth': 'Boolean',
  'Properties/Version': 'String',
  'Properties/Registry': 'String',
  'Agent/Services': 'UInt32',
  'Agent/Devices': 'UInt64',
  'Agent/Trusted Devices': 'UInt64',
  'Agent/Uptime S': 'UInt64',
};
const SERVICE_METRICS = {
  Status: 'String',
  Health: 'String',
  Restarts: 'UInt32',
  'CPU Percent': 'Float',
  'Memory Bytes': 'UInt64',
  'Last Exit Code': 'Int32',
  Version: 'String',
  'Device Control/Start': 'Boolean',
  'Device Control/Stop': 'Boolean',
  'Device Control/Restart': 'Boolean',
};
const typesOf = (s: Seen): Record<string, string> => Object.fromEntries(s.types);
const logged = (agent: AgentProcess, msg: string): Array<Record<string, unknown>> => agent.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));

/** Every message of a session after its NBIRTH carries the previous seq + 1, mod 256. */
function expectSeqChain(seen: Seen[]): void {
  let last: number | undefined;
  for (const s of seen) {
    if (s.verb === 'NDEATH') {
      last = undefined;
      continue;
    }
    if (s.verb === 'NBIRTH') {
      expect(s.seq, `${s.topic} seq`).toBe(0);
      last = 0;
      continue;
    }
    expect(last, `${s.topic} after an NBIRTH`).not.toBeUndefined();
    expect(s.seq, `${s.topic} seq after ${last}`).toBe((last! + 1) % 256);
    last = s.seq;
  }
}

/** Every message but NDEATH: QoS 0, not retained, with a timestamp and a seq (payloads-*-qos/-retain/-timestamp/-seq). */
function expectMessageRules(seen: Seen[]): void {
  for (const s of seen.filter((m) => m.verb !== 'NDEATH')) {
    expect({ topic: s.topic, qos: s.qos, retain: s.retain }).toEqual({ topic: s.topic, qos: 0, retain: false });
    expect(s.timestamp, `${s.topic} timestamp`).toEqual(expect.any(Number));
    expect(s.seq, `${s.topic} seq`).toEqual(expect.any(Number));
  }
}

/** Every DDATA metric differs from what the host held for it (its DBIRTH, then the DDATAs since). */
function expectOnlyChanges(seen: Seen[]): void {
  const held = new Map<string, Map<string, unknown>>();
  for (const s of seen) {
    if (s.verb === 'NDEATH' || s.verb === 'NBIRTH') held.clear();
    if (s.verb === 'DBIRTH') held.set(s.device!, new Map(s.metrics));
    if (s.verb === 'DDEATH') held.delete(s.device!);
    if (s.verb !== 'DDATA') continue;
    const device = held.get(s.device!);
    expect(device, `DDATA for ${s.device} after its DBIRTH`).toBeDefined();
    for (const [name, value] of s.metrics) {
      expect(device!.has(name), `${s.device} ${name} was in the DBIRTH`).toBe(true);
      expect(device!.get(name), `${s.device} ${name} changed`).not.toEqual(value);
      device!.set(name, value);
    }
  }
}

const run = hasPeer('mosquitto', 'mosquitto');

describe.runIf(run)('Sparkplug B edge node (MQTT 3.1.1, primary host STATE)', () => {
  let broker: LoggedMosquitto;
  let host: SparkplugHost;
  let agent: AgentProcess;
  let requester: MqttRequester;
  let dataDir: string;
  let workerPort: number;
  let config: Record<string, unknown>;
  let stateAt = Date.now();

  beforeAll(async () => {
    broker = await startLoggedMosquitto();
    host = await SparkplugHost.connect(broker.url, 'plant', 'gw1');
    workerPort = await freePort();
    dataDir = tempDir();
    config = {
      agent: { id: 'gw1' },
      health: { intervalMs: 300, timeoutMs: 500, retries: 2, restartDelayMs: 100, backoffMaxMs: 400 },
      services: [{ name: 'worker', check: { type: 'process' }, start: { command: process.execPath, args: [SIM, '--port', String(workerPort), '--name', 'worker'] } }],
      sparkplug: { url: broker.url, groupId: 'plant', primaryHostId: 'scada' },
    };
    agent = await startAgent(config, { dataDir });
    requester = await MqttRequester.forAgent(agent);
  });

  afterAll(async () => {
    await requester?.close();
    await agent?.stop('SIGKILL');
    await host?.close();
    await broker?.stop();
    killAll(`--port ${workerPort}`);
  });

  it('connects with Clean Session and the NDEATH (bdSeq 0) as will at QoS 1, subscribes NCMD/DCMD/STATE at QoS 1, and waits for the host', async () => {
    await waitFor('session open', () => logged(agent, 'sparkplug session open')[0]);
    await waitFor('SUBACK', () => broker.log().includes('Sending SUBACK to sma-bridge-sparkplug-gw1'));
    const log = broker.log();
    expect(log).toMatch(/New client connected from \S+ as sma-bridge-sparkplug-gw1 \(p2, c1, k\d+\)/);
    expect(log).toMatch(/Will message specified \(\d+ bytes\) \(r0, q1\)\.\n\d+: \tspBv1\.0\/plant\/NDEATH\/gw1\n/);
    expect(log).toContain('\tspBv1.0/plant/NCMD/gw1 (QoS 1)');
    expect(log).toContain('\tspBv1.0/plant/DCMD/gw1/+ (QoS 1)');
    expect(log).toContain('\tspBv1.0/STATE/scada (QoS 1)');
    // A round trip through the broker after the SUBACK: anything the node had published by then is here.
    await host.state('someone-else', { online: true, timestamp: Date.now() });
    await waitFor('service known', () => agent.logs().some((l) => l.msg === 'ready'));
    expect(host.of('NBIRTH')).toEqual([]);
    expect(host.of('DBIRTH')).toEqual([]);
  });

  it('births after the primary host STATE online: NBIRTH seq 0 with bdSeq 0 and every node metric, then DBIRTH per service', async () => {
    const from = host.mark();
    stateAt = Date.now();
    await host.state('scada', { online: true, timestamp: stateAt });
    const nbirth = await host.next('NBIRTH', (s) => s.verb === 'NBIRTH', from);
    expect(nbirth).toMatchObject({ qos: 0, retain: false, seq: 0 });
    expect(nbirth.timestamp).toBeGreaterThan(stateAt - 60_000);
    expect(typesOf(nbirth)).toEqual(NODE_METRICS);
    expect(nbirth.metrics.get('bdSeq')).toBe(0);
    expect(nbirth.metrics.get('Node Control/Rebirth')).toBe(false);
    expect(nbirth.metrics.get('Agent/Services')).toBe(1);
    expect(nbirth.metrics.get('Properties/Registry')).toEqual(expect.any(String));
    const dbirth = await host.next('DBIRTH worker', (s) => s.verb === 'DBIRTH' && s.device === 'worker', from);
    expect(dbirth).toMatchObject({ qos: 0, retain: false, seq: 1 });
    expect(typesOf(dbirth)).toEqual(SERVICE_METRICS);
    expect(dbirth.metrics.get('Device Control/Restart')).toBe(false);
    expect(dbirth.metrics.get('Version')).toBeNull();
    expect(host.seen.indexOf(dbirth)).toBeGreaterThan(host.seen.indexOf(nbirth));
  });

  it('DDATA with only what changed when the service stops and is restarted by its supervisor', async () => {
    await waitFor('worker RUNNING at the host', () => statusAtHost('worker') === 'RUNNING');
    const from = host.mark();
    const [pid] = pidsWithArg(`--port ${workerPort}`);
    process.kill(pid, 'SIGKILL');
    const down = await host.next('DDATA down', (s) => s.verb === 'DDATA' && s.device === 'worker' && (s.metrics.get('Health') === 'DOWN' || (s.metrics.has('Status') && s.metrics.get('Status') !== 'RUNNING')), from);
    expect(down.qos).toBe(0);
    const restarted = await host.next('DDATA Restarts 1', (s) => s.verb === 'DDATA' && s.device === 'worker' && s.metrics.get('Restarts') === 1, from);
    await waitFor('worker RUNNING again', () => statusAtHost('worker') === 'RUNNING');
    expectOnlyChanges(host.seen);
  });

  it('DCMD Device Control/Restart = true restarts the service as services.restart does', async () => {
    const [before] = pidsWithArg(`--port ${workerPort}`);
    const from = host.mark();
    await host.dcmd('worker', [{ name: 'Device Control/Restart', type: 'Boolean', value: true }]);
    await waitFor('a new worker process', () => {
      const now = pidsWithArg(`--port ${workerPort}`);
      return now.length === 1 && now[0] !== before;
    });
    await host.next('DDATA through the restart', (s) => s.verb === 'DDATA' && s.device === 'worker' && s.metrics.has('Status'), from);
    await waitFor('worker RUNNING after the DCMD', () => statusAtHost('worker') === 'RUNNING');
    // Logged once services.restart answered (its reply is the front's to read, never published).
    await waitFor('command done', () => logged(agent, 'sparkplug command done').find((l) => l.device === 'worker' && l.op === 'services.restart'));
  });

  it('NCMD Node Control/Rebirth = true: NBIRTH again with the same bdSeq, seq 0, then the DBIRTHs', async () => {
    const from = host.mark();
    await host.ncmd([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
    const nbirth = await host.next('NBIRTH again', (s) => s.verb === 'NBIRTH', from);
    expect(nbirth.metrics.get('bdSeq')).toBe(0);
    expect(nbirth.seq).toBe(0);
    const dbirth = await host.next('DBIRTH again', (s) => s.verb === 'DBIRTH' && s.device === 'worker', from);
    expect(dbirth.seq).toBe(1);
    expect(dbirth.metrics.get('Status')).toBe('RUNNING');
  });

  it('bad input is logged once per kind and ignored; commands still work after it', async () => {
    const from = host.mark();
    await host.dcmd('nosuch', [{ name: 'Device Control/Restart', type: 'Boolean', value: true }]);
    await host.dcmd('worker', [{ name: 'Device Control/Explode', type: 'Boolean', value: true }]);
    await host.dcmd('worker', [{ name: 'Device Control/Restart', type: 'Int32', value: 1 }]);
    await host.dcmdRaw('worker', Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff]));
    await host.dcmdRaw('worker', Buffer.alloc(70_000, 0x0a));
    await host.state('scada', 'ONLINE');
    await host.state('scada', { online: false, timestamp: stateAt - 1000 });
    await host.state('scada', { online: true, timestamp: stateAt });
    const kinds = ['unknown-device', 'unknown-metric', 'wrong-datatype', 'undecodable', 'too-large', 'state-bad', 'state-older'];
    await waitFor('every kind logged', () => kinds.every((k) => agent.logs().some((l) => l.kind === k && l.level === 40)));
    for (const k of kinds) expect(agent.logs().filter((l) => l.kind === k && l.level === 40), k).toHaveLength(1);
    // The older offline STATE ended nothing.
    expect(host.seen.slice(from).filter((s) => s.verb === 'NDEATH')).toEqual([]);
    const [before] = pidsWithArg(`--port ${workerPort}`);
    await host.dcmd('worker', [{ name: 'Device Control/Restart', type: 'Boolean', value: true }]);
    await waitFor('restarted after bad input', () => {
      const now = pidsWithArg(`--port ${workerPort}`);
      return now.length === 1 && now[0] !== before;
    });
  });

  it('DBIRTH for a registered service, DDEATH when it is deregistered', async () => {
    const from = host.mark();
    const reg = await requester.request('registry.register', { name: 'extra', check: { type: 'none' } });
    expect(reg.ok, JSON.stringify(reg)).toBe(true);
    const dbirth = await host.next('DBIRTH extra', (s) => s.verb === 'DBIRTH' && s.device === 'extra', from);
    expect(typesOf(dbirth)).toEqual(SERVICE_METRICS);
    const dereg = await requester.request('registry.deregister', { name: 'extra' });
    expect(dereg.ok, JSON.stringify(dereg)).toBe(true);
    const ddeath = await host.next('DDEATH extra', (s) => s.verb === 'DDEATH' && s.device === 'extra', from);
    expect(ddeath.timestamp).toEqual(expect.any(Number));
    expect(ddeath.metrics.size).toBe(0);
  });

  it('STATE offline (not older): NDEATH with the bdSeq, disconnect, and a new session (bdSeq 1) that births only when the host is back', async () => {
    const from = host.mark();
    await host.state('scada', { online: false, timestamp: Date.now() });
    const ndeath = await host.next('NDEATH', (s) => s.verb === 'NDEATH', from);
    expect(ndeath.metrics.get('bdSeq')).toBe(0);
    expect(ndeath.seq).toBeUndefined();
    await waitFor('second session open', () => logged(agent, 'sparkplug session open').find((l) => l.bdSeq === 1));
    await host.state('someone-else', { online: true, timestamp: Date.now() });
    expect(host.seen.slice(from).filter((s) => s.verb === 'NBIRTH')).toEqual([]);
    stateAt = Date.now();
    await host.state('scada', { online: true, timestamp: stateAt });
    const nbirth = await host.next('NBIRTH bdSeq 1', (s) => s.verb === 'NBIRTH', from);
    expect(nbirth.metrics.get('bdSeq')).toBe(1);
  });

  it('kill -9: the broker publishes the will (NDEATH, QoS 1, bdSeq 1); the restarted agent births with bdSeq 2', async () => {
    const from = host.mark();
    await agent.stop('SIGKILL');
    const will = await host.next('will NDEATH', (s) => s.verb === 'NDEATH', from);
    expect(will).toMatchObject({ qos: 1, retain: false, seq: undefined });
    expect(will.metrics.get('bdSeq')).toBe(1);
    expect([...will.metrics.keys()]).toEqual(['bdSeq']);
    killAll(`--port ${workerPort}`);
    await requester.close();
    agent = await startAgent(config, { dataDir });
    requester = await MqttRequester.forAgent(agent);
    const nbirth = await host.next('NBIRTH after restart', (s) => s.verb === 'NBIRTH', from);
    expect(nbirth.metrics.get('bdSeq')).toBe(2);
  });

  it('a graceful stop publishes NDEATH with the session bdSeq before disconnecting (3.1.1); seq ran +1 mod 256 all along', async () => {
    await waitFor('worker RUNNING at the host', () => statusAtHost('worker') === 'RUNNING');
    const from = host.mark();
    await agent.stop();
    const ndeath = await host.next('NDEATH at stop', (s) => s.verb === 'NDEATH', from);
    expect(ndeath.metrics.get('bdSeq')).toBe(2);
    expectSeqChain(host.seen);
    expectOnlyChanges(host.seen);
    expectMessageRules(host.seen);
    expect(host.of('NDATA').length + host.of('DDATA').length + host.of('DDEATH').length).toBeGreaterThan(0);
  });

  /** The Status the host holds for a device: its last birth, then every DDATA after it. */
  function statusAtHost(device: string): unknown {
    let status: unknown;
    for (const s of host.seen) {
      if (s.device !== device) continue;
      if (s.verb === 'DBIRTH' || s.verb === 'DDATA') status = s.metrics.has('Status') ? s.metrics.get('Status') : status;
      if (s.verb === 'DDEATH') status = undefined;
    }
    return status;
  }
});

describe.runIf(run)('Sparkplug B edge node on MQTT 5, acceptCommands false, no primary host', () => {
  let broker: LoggedMosquitto;
  let host: SparkplugHost;
  let agent: AgentProcess;
  let workerPort: number;

  beforeAll(async () => {
    broker = await startLoggedMosquitto();
    host = await SparkplugHost.connect(broker.url, 'sma', 'gw5');
    workerPort = await freePort();
    agent = await startAgent({
      agent: { id: 'gw5' },
      services: [{ name: 'worker', check: { type: 'process' }, start: { command: process.execPath, args: [SIM, '--port', String(workerPort), '--name', 'worker'] } }],
      trust: { heartbeatTimeoutMs: 3_000, pluginCheckIntervalMs: 200 },
      health: { intervalMs: 300 },
      sparkplug: { url: broker.url, protocolVersion: 5, acceptCommands: false, trustDevices: true },
    });
  });

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await host?.close();
    await broker?.stop();
    killAll(`--port ${workerPort}`);
  });

  it('Clean Start, and births at once in the default group with the agent id as edge node id', async () => {
    const nbirth = await host.next('NBIRTH', (s) => s.verb === 'NBIRTH');
    expect(nbirth.topic).toBe('spBv1.0/sma/NBIRTH/gw5');
    expect(nbirth.metrics.get('bdSeq')).toBe(0);
    await host.next('DBIRTH worker', (s) => s.verb === 'DBIRTH' && s.device === 'worker');
    expect(broker.log()).toMatch(/as sma-bridge-sparkplug-gw5 \(p5, c1, k\d+\)/);
  });

  it('refuses a DCMD: logged once, the service keeps its process', async () => {
    await waitFor('worker running', () => pidsWithArg(`--port ${workerPort}`).length === 1);
    const [before] = pidsWithArg(`--port ${workerPort}`);
    await host.dcmd('worker', [{ name: 'Device Control/Restart', type: 'Boolean', value: true }]);
    await host.dcmd('worker', [{ name: 'Device Control/Stop', type: 'Boolean', value: true }]);
    // The rebirth is handled after both DCMDs (one connection, in order): by its NBIRTH they were decided.
    const from = host.mark();
    await host.ncmd([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
    await host.next('NBIRTH (rebirth)', (s) => s.verb === 'NBIRTH', from);
    const refused = agent.logs().filter((l) => l.kind === 'commands-refused');
    expect(refused.filter((l) => l.level === 40)).toHaveLength(1);
    expect(refused).toHaveLength(1 + agent.logs().filter((l) => l.kind === 'commands-refused' && l.level === 20).length);
    expect(logged(agent, 'sparkplug command done')).toEqual([]);
    expect(pidsWithArg(`--port ${workerPort}`)).toEqual([before]);
  });

  it('trustDevices: a tracked device is a device with Trust Level (DBIRTH when first tracked, DDATA as its level changes); the node counts it', async () => {
    const from = host.mark();
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.mqttPort}`, { reconnectPeriod: 0 });
    await device.publishAsync(`${agent.topicRoot}/heartbeat/device/meter-7`, '', { qos: 1 });
    await device.endAsync();
    const dbirth = await host.next('DBIRTH meter-7', (s) => s.verb === 'DBIRTH' && s.device === 'meter-7', from);
    expect(typesOf(dbirth)).toEqual({ 'Trust Level': 'String' });
    // Found at the next poll (every 300 ms), well before the 3 s heartbeat timeout.
    expect(dbirth.metrics.get('Trust Level')).toBe('COMPLETE');
    const levels = (): unknown[] => host.seen.slice(from).filter((s) => s.device === 'meter-7').map((s) => s.metrics.get('Trust Level'));
    expectMessageRules(host.seen);
    await waitFor('COMPLETE, then NONE at the timeout', () => levels().join().match(/COMPLETE,NONE$/));
    for (const s of host.seen.slice(from).filter((m) => m.verb === 'DDATA' && m.device === 'meter-7')) expect([...s.metrics.keys()]).toEqual(['Trust Level']);
    const ndata = await host.next('NDATA counts', (s) => s.verb === 'NDATA' && s.metrics.get('Agent/Devices') === 1, from);
    expect(ndata.timestamp).toEqual(expect.any(Number));
    expectSeqChain(host.seen);
  });

  it('a broker restart ends the session; the next one (bdSeq 1) births again', async () => {
    const connects = (): number => broker.log().split('as sma-bridge-sparkplug-gw5 (').length - 1;
    expect(connects()).toBe(1);
    await host.close();
    await broker.restart();
    host = await SparkplugHost.connect(broker.url, 'sma', 'gw5');
    await waitFor('the edge node back', () => connects() === 2);
    await waitFor('second session open', () => logged(agent, 'sparkplug session open').find((l) => l.bdSeq === 1));
    // Its births may have gone out before this host subscribed: ask for them again.
    await host.ncmd([{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }]);
    const nbirth = await host.next('NBIRTH of the new session', (s) => s.verb === 'NBIRTH');
    expect(nbirth.metrics.get('bdSeq')).toBe(1);
    expect(broker.log()).toMatch(/Will message specified \(\d+ bytes\) \(r0, q1\)\.\n\d+: \tspBv1\.0\/sma\/NDEATH\/gw5\n[\s\S]*Will message specified/);
  });

  it('a graceful stop disconnects with reason 0x04: the broker sends the will, the NDEATH', async () => {
    const from = host.mark();
    await agent.stop();
    const ndeath = await host.next('will NDEATH', (s) => s.verb === 'NDEATH', from);
    expect(ndeath).toMatchObject({ qos: 1, retain: false });
    expect(ndeath.metrics.get('bdSeq')).toBe(1);
    const log = broker.log();
    expect(log).toContain('Received DISCONNECT from sma-bridge-sparkplug-gw5');
    // Not published by the node itself: it came from the will.
    expect(log).not.toMatch(/Received PUBLISH from sma-bridge-sparkplug-gw5 \([^)]*'spBv1\.0\/sma\/NDEATH/);
  });
});
