// A stand-in for the agent's MQTT front around a real TrustTracker, for driving firmware-sim in tests:
// heartbeats and device sets in, CloudEvents and reregister requests out. Plugin health comes from the
// plugin's service heartbeats (UP while one came within `pluginSilenceMs`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { LevelStore } from '../../src/store/level-store.js';
import { toCloudEvent } from '../../src/trust/cloud-event.js';
import { parseDeviceHeartbeat, parseDeviceSet } from '../../src/trust/plugin-payloads.js';
import { TrustTracker } from '../../src/trust/trust-tracker.js';

export interface MiniBridge {
  tracker: TrustTracker;
  close(): Promise<void>;
}

export async function startMiniBridge(o: { url: string; root: string; timeoutMs: number; pluginSilenceMs: number }): Promise<MiniBridge> {
  const dir = mkdtempSync(join(tmpdir(), 'sma-bridge-'));
  const store = await LevelStore.open(dir);
  const events = new EventBus();
  const pluginBeats = new Map<string, number>();
  const tracker = new TrustTracker({
    store,
    events,
    clock: systemClock,
    config: { heartbeatTimeoutMs: o.timeoutMs, pluginCheckIntervalMs: 200 },
    log: pino({ level: 'silent' }),
    plugins: () => [...pluginBeats].map(([name, at]) => ({ name, health: Date.now() - at < o.pluginSilenceMs ? 'UP' : 'DOWN' })),
  });
  const client = await mqtt.connectAsync(o.url, { protocolVersion: 4 });
  events.on((e) => {
    if (e.kind === 'trust') client.publish(`${o.root}/event/trust/${e.deviceId}`, JSON.stringify(toCloudEvent(e, 'mini')), { qos: 1 });
    if (e.kind === 'plugin-reregister') client.publish(`${o.root}/plugin/${e.plugin}/reregister`, '{}', { qos: 1 });
  });
  const prefix = `${o.root}/`;
  client.on('message', (topic, payload) => {
    const parts = topic.slice(prefix.length).split('/');
    if (parts[0] === 'heartbeat' && parts[1] === 'device') {
      const beat = parseDeviceHeartbeat(parts[2], payload);
      if (beat.ok) tracker.beat(parts[2], Date.now(), beat.value.plugin);
    } else if (parts[0] === 'heartbeat' && parts[1] === 'service') {
      pluginBeats.set(parts[2], Date.now());
    } else if (parts[0] === 'plugin' && parts[2] === 'devices') {
      const set = parseDeviceSet(JSON.parse(payload.toString()));
      if (set.ok) tracker.pluginDevices(parts[1], set.value.devices, Date.now());
    }
  });
  await client.subscribeAsync([`${o.root}/heartbeat/#`, `${o.root}/plugin/+/devices`], { qos: 0 });
  await tracker.start();
  return {
    tracker,
    async close() {
      await client.endAsync();
      await tracker.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
