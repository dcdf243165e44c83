// Issue 10, the trust engine's side, against the agent process: a heartbeat's `plugin` counts only when it
// names a registered plugin service; device sets come only from a registered plugin and never take another
// plugin's devices; made-up plugin names cannot fill the plugin table. After each attack the agent still
// answers its operator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { hasPeer } from '../support/peers.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { waitFor } from '../support/wait-for.js';

const haveMosquitto = hasPeer('mosquitto', 'mosquitto');
const BROKERS = [
  { name: 'embedded broker', external: false },
  { name: 'mosquitto, the agent on MQTT 5', external: true },
].filter((b) => !b.external || haveMosquitto);

interface View {
  id: string;
  trustLevel: string;
  plugin?: string;
}

describe.each(BROKERS)('trust engine against hostile plugin names and device sets ($name)', ({ external }) => {
  let broker: Mosquitto | undefined;
  let agent: AgentProcess;
  let operator: MqttRequester;
  let client: MqttClient;
  let timer: NodeJS.Timeout;
  const beatingServices = new Set<string>();
  const beatingDevices = new Map<string, string>(); // device -> heartbeat body

  const R = () => agent.topicRoot;
  const views = async (ids: string[]): Promise<View[]> => (await operator.request('trust.get', { ids })).result as View[];
  const health = async (name: string): Promise<string | undefined> =>
    ((await operator.request('services.health', { names: [name] })).result as Array<{ health?: string }>)[0]?.health;
  const stillAnswers = async (): Promise<void> => {
    const info = await operator.request('agent.info');
    expect(info.ok).toBe(true);
  };
  const register = async (name: string, plugin: boolean): Promise<void> => {
    expect((await operator.request('registry.register', { name, plugin, check: { type: 'heartbeat' } })).ok).toBe(true);
    beatingServices.add(name);
    await waitFor(`${name} UP`, async () => (await health(name)) === 'UP', 15_000);
  };
  const deviceSet = (plugin: string, ids: string[]) =>
    client.publishAsync(`${R()}/plugin/${plugin}/devices`, JSON.stringify({ devices: ids.map((id) => ({ id })) }), { qos: 1 });

  beforeAll(async () => {
    broker = external ? await startMosquitto('max_queued_messages 0') : undefined;
    agent = await startAgent({
      agent: { id: 'sec-trust' },
      trust: { heartbeatTimeoutMs: 60_000, pluginCheckIntervalMs: 200 },
      health: { intervalMs: 200, timeoutMs: 200, retries: 2 },
      ...(broker ? { mqtt: { mode: 'external', url: broker.url, protocolVersion: 5 } } : {}),
    });
    const url = broker?.url ?? `mqtt://127.0.0.1:${agent.mqttPort}`;
    operator = await MqttRequester.connect(url, agent.topicRoot);
    client = await mqtt.connectAsync(url, { protocolVersion: external ? 5 : 4, reconnectPeriod: 0 });
    timer = setInterval(() => {
      for (const name of beatingServices) client.publish(`${R()}/heartbeat/service/${name}`, '', { qos: 0 });
      for (const [id, body] of beatingDevices) client.publish(`${R()}/heartbeat/device/${id}`, body, { qos: 0 });
    }, 150);
    await register('modbus', true);
    await register('dmi-b', true);
    await register('plain', false);
  }, 60_000);

  afterAll(async () => {
    clearInterval(timer);
    await client?.endAsync();
    await operator?.close();
    await agent?.stop();
    await broker?.stop();
  });

  it('takes no device set from a service without plugin: true, nor from a name nobody registered', async () => {
    await deviceSet('plain', ['plain-1']);
    await deviceSet('nobody', ['nobody-1']);
    await deviceSet('modbus', ['m1', 'm2']);
    await waitFor('modbus devices', async () => (await views(['m1', 'm2'])).length === 2);
    expect(await views(['plain-1', 'nobody-1'])).toEqual([]);
    await stillAnswers();
  });

  it('never lets a device set take devices another plugin owns', async () => {
    await deviceSet('dmi-b', ['m1', 'b1']);
    await waitFor('b1 tracked', async () => (await views(['b1'])).length === 1);
    expect((await views(['m1', 'm2', 'b1'])).map((v) => [v.id, v.plugin])).toEqual([
      ['m1', 'modbus'],
      ['m2', 'modbus'],
      ['b1', 'dmi-b'],
    ]);
    await stillAnswers();
  });

  it('does not let a heartbeat naming an unregistered or non-plugin service lift a DOWN plugin\'s NONE', async () => {
    beatingDevices.set('m1', '');
    beatingServices.delete('modbus');
    await waitFor('m1 NONE (modbus DOWN)', async () => (await views(['m1']))[0]?.trustLevel === 'NONE', 15_000);
    beatingDevices.set('m1', JSON.stringify({ plugin: 'ghost' }));
    beatingDevices.set('m2', JSON.stringify({ plugin: 'plain' }));
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await views(['m1', 'm2'])).map((v) => [v.id, v.trustLevel, v.plugin])).toEqual([
      ['m1', 'NONE', 'modbus'],
      ['m2', 'NONE', 'modbus'],
    ]);
    const ignored = agent.logs().filter((l) => String(l.msg).includes('no registered plugin service'));
    expect(ignored).toHaveLength(1); // logged once, however many heartbeats named it
    await stillAnswers();
  });

  it('keeps 1 100 made-up plugin names out of the 1 024-slot plugin table', async () => {
    for (let k = 0; k < 1_100; k++) client.publish(`${R()}/heartbeat/device/junk-${k}`, JSON.stringify({ plugin: `fake-${k}` }), { qos: 0 });
    await waitFor('junk devices tracked', async () => (await views(['junk-1099'])).length === 1, 15_000);
    await register('late', true);
    await deviceSet('late', ['l1']);
    await waitFor('l1 tracked', async () => (await views(['l1'])).length === 1, 10_000);
    expect((await views(['l1', 'junk-5'])).map((v) => [v.id, v.plugin])).toEqual([
      ['l1', 'late'],
      ['junk-5', undefined],
    ]);
    await stillAnswers();
  });
});
