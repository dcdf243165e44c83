// The MQTT front asks the policy about every message that is not a command, and takes no message that
// speaks for nobody as a command. The broker's ACL refuses these first on the embedded broker, so this is
// the second line; it is tested here with a transport double (a stand-in for a broker: the messages and
// their principals are what a broker would deliver) so that removing it shows.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { EventBus } from '../../src/events.js';
import type { Command, Intake } from '../../src/inbox/command.js';
import { MqttFront } from '../../src/mqtt/mqtt-front.js';
import type { InboundMessage, MessageHandler, MqttTransport } from '../../src/mqtt/transport.js';
import type { Principal } from '../../src/policy/principal.js';
import { testPolicy } from '../support/principals.js';

const R = 'sma/gw';

async function front(): Promise<{ deliver: (m: InboundMessage) => Promise<void>; beats: string[]; serviceBeats: string[]; sets: string[]; commands: Command[] }> {
  let handler: MessageHandler | undefined;
  const transport: MqttTransport = {
    speaksV5: false,
    subscribe: async (_f, h) => void (handler = h),
    publish: async () => {},
    close: async () => {},
  };
  const beats: string[] = [];
  const serviceBeats: string[] = [];
  const sets: string[] = [];
  const commands: Command[] = [];
  const intake: Intake = {
    accept: async (c) => {
      commands.push(c);
      return { done: Promise.resolve({ ok: true, result: null }), afterSent: () => {} };
    },
  };
  const f = new MqttFront({
    transport,
    topicRoot: R,
    intake,
    policy: testPolicy(),
    events: new EventBus(),
    serviceBeat: (name) => serviceBeats.push(name),
    trust: { beat: (id) => beats.push(id), pluginDevices: (p) => sets.push(p), pluginReport: () => {} },
    formatTrustEvent: (e) => e,
    now: () => 0,
    version: '0',
    log: pino({ level: 'silent' }),
  });
  await f.start();
  return { deliver: (m) => handler!(m), beats, serviceBeats, sets, commands };
}

const msg = (topic: string, principal: Principal | undefined, payload = ''): InboundMessage => ({ topic, payload: Buffer.from(payload), principal });
const dev1: Principal = { role: 'device', username: 'dev1' };
const svc: Principal = { role: 'service', username: 'svc' };

describe('MqttFront and the policy', () => {
  it('takes a device heartbeat only for the device’s own id', async () => {
    const f = await front();
    await f.deliver(msg(`${R}/heartbeat/device/dev1`, dev1));
    await f.deliver(msg(`${R}/heartbeat/device/ghost`, dev1));
    await f.deliver(msg(`${R}/heartbeat/device/dev1`, undefined));
    expect(f.beats).toEqual(['dev1']);
  });

  it('takes service heartbeats and device sets only under the service’s own name', async () => {
    const f = await front();
    await f.deliver(msg(`${R}/heartbeat/service/svc`, svc));
    await f.deliver(msg(`${R}/heartbeat/service/svc-other`, svc));
    await f.deliver(msg(`${R}/plugin/svc/devices`, svc, '{"devices":[]}'));
    await f.deliver(msg(`${R}/plugin/svc-other/devices`, svc, '{"devices":[]}'));
    await f.deliver(msg(`${R}/plugin/svc/devices`, dev1, '{"devices":[]}'));
    expect(f.serviceBeats).toEqual(['svc']);
    expect(f.sets).toEqual(['svc']);
  });

  it('hands a request to the inbox with its principal, and none that speaks for nobody', async () => {
    const f = await front();
    await f.deliver(msg(`${R}/request/agent.info`, undefined, '{"correlationId":"a"}'));
    await f.deliver(msg(`${R}/request/agent.info`, svc, '{"correlationId":"b"}'));
    expect(f.commands.map((c) => [c.correlationId, c.principal, c.replyTo])).toEqual([['b', svc, `${R}/response/svc/b`]]);
  });
});
