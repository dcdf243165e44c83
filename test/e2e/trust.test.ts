// Issue 4 acceptance, end to end: device heartbeats over MQTT (through Debian's mosquitto, so the observer
// stays connected while the agent is killed), trust CloudEvents, plugin down/up with re-registration,
// SIGKILL of the agent without lost or repeated events, garbage refused, and `sma-bridge trust list`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { BIN, startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { hasPeer } from '../support/peers.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

const run = promisify(execFile);
const haveMosquitto = hasPeer('mosquitto', 'mosquitto');

interface CloudEvent {
  specversion: string;
  type: string;
  source: string;
  subject: string;
  id: string;
  data: { attributeValueChange: Array<{ attributeName: string; oldAttributeValue?: string; newAttributeValue: string }>; reason: string };
}

describe.skipIf(!haveMosquitto)('trust levels from device heartbeats', () => {
  const dataDir = tempDir();
  const ID = 'trust-gw';
  const R = `sma/${ID}`;
  let broker: Mosquitto;
  let agent: AgentProcess;
  let observer: MqttClient;
  let devices: MqttClient;
  const events: CloudEvent[] = [];
  const reregisters: string[] = [];
  const beating = new Set<string>();
  let pluginBeating = false;
  let timer: NodeJS.Timeout;

  const config = () => ({
    agent: { id: ID },
    mqtt: { mode: 'external', url: broker.url },
    trust: { heartbeatTimeoutMs: 3_000, pluginCheckIntervalMs: 200 },
    health: { intervalMs: 200, timeoutMs: 200, retries: 2 },
  });

  beforeAll(async () => {
    broker = await startMosquitto('max_queued_messages 0');
    observer = await mqtt.connectAsync(broker.url, { clientId: 'trust-observer', clean: false, protocolVersion: 4 });
    observer.on('message', (topic, payload) => {
      if (topic.startsWith(`${R}/event/trust/`)) events.push(JSON.parse(payload.toString()) as CloudEvent);
      if (topic.endsWith('/reregister')) reregisters.push(topic);
    });
    await observer.subscribeAsync([`${R}/event/trust/#`, `${R}/plugin/+/reregister`], { qos: 1 });
    devices = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    agent = await startAgent(config(), { dataDir });
    timer = setInterval(() => {
      for (const id of beating) {
        const body = id.startsWith('p') ? JSON.stringify({ plugin: 'modbus' }) : '';
        devices.publish(`${R}/heartbeat/device/${id}`, body, { qos: 0 });
      }
      if (pluginBeating) devices.publish(`${R}/heartbeat/service/modbus`, '', { qos: 0 });
    }, 150);
  });

  afterAll(async () => {
    clearInterval(timer);
    await devices?.endAsync();
    await observer?.endAsync();
    await agent?.stop();
    await broker?.stop();
  });

  const of = (id: string) => events.filter((e) => e.subject === id);
  const level = (e: CloudEvent) => e.data.attributeValueChange[0].newAttributeValue;

  it('gives exactly one NONE for a silent device and one COMPLETE when it beats again; none for beating ones', async () => {
    for (const id of ['d1', 'd2', 'd3']) beating.add(id);
    await new Promise((r) => setTimeout(r, 600));
    beating.delete('d1');
    const none = await waitFor('d1 NONE', () => of('d1').find((e) => level(e) === 'NONE'), 10_000);
    expect(none).toMatchObject({ specversion: '1.0', type: 'sma.trustlevel.changed', source: `sma-bridge/${ID}`, subject: 'd1' });
    expect(none.data.reason).toBe('HEARTBEAT_TIMEOUT');
    expect(none.data.attributeValueChange[0]).toMatchObject({ attributeName: 'trustLevel', oldAttributeValue: 'COMPLETE', newAttributeValue: 'NONE' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(of('d1')).toHaveLength(1);
    beating.add('d1');
    await waitFor('d1 COMPLETE', () => of('d1').find((e) => level(e) === 'COMPLETE'));
    expect(of('d1').map(level)).toEqual(['NONE', 'COMPLETE']);
    expect(of('d2')).toEqual([]);
    expect(of('d3')).toEqual([]);
  });

  it('turns all devices of a dead plugin NONE, asks it to re-register when back, and keeps missing devices NONE', async () => {
    const m = await MqttRequester.connect(broker.url, R);
    try {
      expect((await m.request('registry.register', { name: 'modbus', plugin: true, check: { type: 'heartbeat' } })).ok).toBe(true);
      pluginBeating = true;
      for (const id of ['p1', 'p2']) beating.add(id);
      await waitFor('plugin UP', async () => ((await m.request('services.health', { names: ['modbus'] })).result as Array<{ health: string }>)[0]?.health === 'UP');
      await new Promise((r) => setTimeout(r, 500));
      expect([...of('p1'), ...of('p2')]).toEqual([]);

      pluginBeating = false;
      await waitFor('p1 and p2 NONE', () => of('p1').length === 1 && of('p2').length === 1, 10_000);
      expect([...of('p1'), ...of('p2')].map((e) => [level(e), e.data.reason])).toEqual([
        ['NONE', 'PLUGIN_DOWN'],
        ['NONE', 'PLUGIN_DOWN'],
      ]);

      pluginBeating = true;
      await waitFor('reregister request', () => reregisters.includes(`${R}/plugin/modbus/reregister`), 10_000);
      beating.delete('p2');
      beating.add('p3');
      devices.publish(`${R}/plugin/modbus/devices`, JSON.stringify({ devices: [{ id: 'p1' }, { id: 'p3', properties: { kind: 'meter' } }] }), { qos: 1 });
      await waitFor('p1 COMPLETE', () => of('p1').some((e) => level(e) === 'COMPLETE'), 10_000);
      const p2 = (await m.request('trust.get', { ids: ['p2', 'p3'] })).result as Array<{ id: string; trustLevel: string; plugin?: string }>;
      expect(p2.find((v) => v.id === 'p2')?.trustLevel).toBe('NONE');
      expect(p2.find((v) => v.id === 'p3')).toMatchObject({ trustLevel: 'COMPLETE', plugin: 'modbus' });
      expect(of('p2').map(level)).toEqual(['NONE']);
    } finally {
      await m.close();
    }
  });

  it('loses no event and repeats none when the agent is SIGKILLed and restarted', async () => {
    // d2 falls silent just before the kill, so its deadline passes after the restart, from its remembered
    // last beat; the others keep beating, and the agent is down for less than the heartbeat timeout.
    const before = events.length;
    beating.delete('d2');
    await agent.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    agent = await startAgent(config(), { dataDir });
    await waitFor('d2 NONE after restart', () => of('d2').length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 3_500));
    const after = events.slice(before);
    expect(after.filter((e) => e.subject === 'd2').map(level)).toEqual(['NONE']);
    // Nobody else changed level, so nobody else may have an event: none repeated from before the kill.
    expect(after.filter((e) => e.subject !== 'd2').map((e) => `${e.subject}:${level(e)}`)).toEqual([]);
  });

  it('refuses garbage and over-long ids without harm, and `sma-bridge trust list` shows the levels', async () => {
    devices.publish(`${R}/heartbeat/device/${'x'.repeat(200)}`, '', { qos: 1 });
    devices.publish(`${R}/plugin/modbus/devices`, '{"devices": "nope"', { qos: 1 });
    devices.publish(`${R}/plugin/modbus/trust`, JSON.stringify([{ deviceId: 'p1', trustLevel: 'MAYBE' }]), { qos: 1 });
    devices.publish(`${R}/heartbeat/device/d9`, Buffer.from([0xff, 0x00, 0x7b]), { qos: 1 });
    const { stdout } = await run(process.execPath, [BIN, 'trust', 'list', '--level', 'NONE', '--json', '--broker', broker.url, '--agent', ID]);
    const none = (JSON.parse(stdout) as Array<{ id: string }>).map((v) => v.id).sort();
    expect(none).toEqual(['d2', 'p2']);
    const all = await run(process.execPath, [BIN, 'trust', 'list', '--broker', broker.url, '--agent', ID]);
    expect(all.stdout).toMatch(/d9/);
    expect(all.stdout).not.toMatch(/xxxxxxxx/);
    const metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^sma_devices\{level="NONE"\} 2$/m);
  });
});
