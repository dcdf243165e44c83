// firmware-sim/service.js itself: its control endpoints, and its MQTT heartbeat against a real mosquitto.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort, spawnSim, stopProcess, type Sim } from './sim-process.js';

const poll = { timeout: 10_000, interval: 20 };
const procs: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop();
});

async function sim(args: string[] = []): Promise<Sim> {
  const s = await spawnSim(args);
  procs.push(s);
  return s;
}

const exitOf = (proc: ChildProcess): Promise<number | null> =>
  proc.exitCode !== null ? Promise.resolve(proc.exitCode) : new Promise((resolve) => proc.once('exit', (code) => resolve(code)));

describe('simulated service', () => {
  it('answers /ping and /health, and POST /down turns health DOWN', async () => {
    const s = await sim(['--name', 'demo']);
    const ping = await fetch(s.url('/ping'));
    expect([ping.status, await ping.text()]).toEqual([200, 'pong']);
    expect(await (await fetch(s.url('/health'))).json()).toEqual({ status: 'UP', name: 'demo' });
    expect(await s.post('/down')).toBe(200);
    expect(await (await fetch(s.url('/health'))).json()).toMatchObject({ status: 'DOWN' });
  });

  it('--health DOWN starts DOWN', async () => {
    const s = await sim(['--health', 'DOWN']);
    expect(await (await fetch(s.url('/health'))).json()).toMatchObject({ status: 'DOWN' });
  });

  it('POST /crash exits with status 1; --crash-after-ms does so by itself', async () => {
    const s = await sim();
    const exited = exitOf(s.proc);
    expect(await s.post('/crash')).toBe(202);
    expect(await exited).toBe(1);
    const t = await sim(['--crash-after-ms', '50']);
    expect(await exitOf(t.proc)).toBe(1);
  });

  it('POST /hang stops answering (the connection stays open, no reply)', async () => {
    const s = await sim();
    expect(await s.post('/hang')).toBe(202);
    const ctl = new AbortController();
    const pending = fetch(s.url('/ping'), { signal: ctl.signal }).then(() => 'answered', () => 'aborted');
    setTimeout(() => ctl.abort(), 300);
    expect(await pending).toBe('aborted');
  });

  it('SIGTERM exits 0', async () => {
    const s = await sim();
    const exited = exitOf(s.proc);
    s.proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

const haveMosquitto = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).status === 0;
const requirePeers = process.env.SMA_REQUIRE_PEERS === '1';
if (!haveMosquitto && !requirePeers) console.warn('skipping the MQTT heartbeat test: mosquitto not installed (Debian package: mosquitto)');

describe.skipIf(!haveMosquitto && !requirePeers)('simulated service heartbeat over MQTT (mosquitto)', () => {
  it('publishes R/heartbeat/service/{name} every second', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sma-sim-mqtt-'));
    procs.push({ stop: () => rm(dir, { recursive: true, force: true }) });
    const port = await freePort();
    await writeFile(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\n`);
    const broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    procs.push({ stop: () => stopProcess(broker) });
    const url = `mqtt://127.0.0.1:${port}`;

    const client = mqtt.connect(url, { reconnectPeriod: 100 });
    procs.push({ stop: () => client.endAsync(true) });
    await vi.waitFor(() => expect(client.connected).toBe(true), poll);
    const beats: Array<{ topic: string; body: Record<string, unknown> }> = [];
    client.on('message', (topic, payload) => beats.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> }));
    await client.subscribeAsync('sma/test/heartbeat/service/#');

    await sim(['--name', 'hb-sim', '--mqtt', url, '--topic-root', 'sma/test']);
    await vi.waitFor(() => expect(beats.length).toBeGreaterThanOrEqual(2), poll);
    expect(beats[0]).toMatchObject({ topic: 'sma/test/heartbeat/service/hb-sim', body: { health: 'UP' } });
  });
});
