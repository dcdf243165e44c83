import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error firmware-sim is plain JavaScript without type declarations
import { makeScript } from '../../firmware-sim/fleet/script.js';
// @ts-expect-error firmware-sim is plain JavaScript without type declarations
import { parseFleetArgs, UsageError } from '../../firmware-sim/fleet/options.js';
import { ROOT } from '../support/agent-process.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { hasPeer } from '../support/peers.js';
import { startMiniBridge, type MiniBridge } from './mini-bridge.js';

interface Summary {
  sent: number;
  devices: number;
  achievedRate: number;
  silentDevices: number;
  reregisterRequests: number;
  deviceSetsSent: number;
  events: { total: number; NONE: number; COMPLETE: number; byReason: Record<string, number> };
  noneAtEnd: number;
  lateness?: { count: number; p50Ms: number; maxMs: number };
}

function runSim(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'firmware-sim/sim.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fleet options and script', () => {
  it('reads the command line, with the topic root from --agent', () => {
    const o = parseFleetArgs(['--agent', 'gw1', '--devices', '1000', '--rate', '5000', '--burst', '10:5:3', '--silent-fraction', '0.1', '--silent-after', '2']);
    expect(o).toMatchObject({ topicRoot: 'sma/gw1', devices: 1000, rate: 5000, bursts: [{ atS: 10, forS: 5, factor: 3 }], silentFraction: 0.1 });
    const s = makeScript(o);
    expect([s.silentAt(1), s.silentAt(2), s.silentAt(1e6)]).toEqual([0, 100, 100]);
    expect([s.rateAt(9), s.rateAt(10), s.rateAt(15)]).toEqual([5000, 15000, 5000]);
  });

  it.each([
    [['--devices', '0']],
    [['--devices', '1.5']],
    [['--rate', '-1']],
    [['--burst', '1:2']],
    [['--plugin', 'Bad Name']],
    [['--plugin-down-after', '3']],
    [['--topic-root', 'sma/#']],
    [['--nonsense']],
  ])('refuses %j as bad usage', (argv) => {
    expect(() => parseFleetArgs(argv)).toThrow(UsageError);
  });

  it('with no options prints its usage and exits 2 (it does not start a fleet)', async () => {
    const bare = await runSim([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^sma-bridge sim: --devices and --rate are required\nusage: sma-bridge sim /);
  });

  it('--help has a line for every option it accepts', async () => {
    const help = await runSim(['--help']);
    expect(help.code).toBe(0);
    const usage = help.stdout.split('\noptions:\n')[0];
    const accepted = [...new Set([...usage.matchAll(/--([a-z-]+)/g)].map((m) => m[1]))];
    const lines = help.stdout.split('\noptions:\n')[1].split('\n');
    expect(accepted.length).toBeGreaterThan(20);
    for (const name of [...accepted, 'username', 'password']) {
      expect(lines.some((l) => new RegExp(`^  (-\\w, )?--${name}\\b.* \\w+`).test(l)), name).toBe(true);
    }
  });

  it('exits 2 with a usage line on bad usage, 1 when the broker cannot be reached', async () => {
    const bad = await runSim(['--devices', 'lots', '--rate', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--devices must be/);
    const unreachable = await runSim(['--broker', 'mqtt://127.0.0.1:1', '--devices', '1', '--rate', '1', '--duration', '1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe.skipIf(!hasPeer('mosquitto', 'mosquitto'))('firmware-sim against a tracker over mosquitto', () => {
  let broker: Mosquitto | undefined;
  let bridge: MiniBridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    await broker?.stop();
    bridge = broker = undefined;
  });

  it('drives silent devices NONE, once each, and reports it in its summary', async () => {
    broker = await startMosquitto();
    const root = 'sma/sim-test';
    bridge = await startMiniBridge({ url: broker.url, root, timeoutMs: 2_000, pluginSilenceMs: 1_000 });
    const run = await runSim([
      '--broker', broker.url, '--topic-root', root, '--devices', '50', '--rate', '500',
      '--silent-fraction', '0.2', '--silent-after', '0.5', '--duration', '5', '--settle', '1.5',
      '--timeout-ms', '2000', '--json',
    ]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.sent).toBeGreaterThan(500);
    expect(summary.silentDevices).toBe(10);
    expect(summary.noneAtEnd).toBe(10);
    expect(summary.events.byReason.HEARTBEAT_TIMEOUT).toBeGreaterThanOrEqual(10);
    expect(summary.lateness?.count).toBeGreaterThanOrEqual(10);
    expect(bridge.tracker.counts()).toEqual({ devices: 50, trusted: 40 });
    expect(bridge.tracker.query({ level: 'NONE' }).map((v) => v.id).sort()).toEqual(Array.from({ length: 10 }, (_, k) => `sim-${k}`).sort());
  });

  it('kills and revives its plugin: all devices NONE, a reregister request, the re-sent set leaves the dropped ones NONE', async () => {
    broker = await startMosquitto();
    const root = 'sma/sim-plugin';
    bridge = await startMiniBridge({ url: broker.url, root, timeoutMs: 3_000, pluginSilenceMs: 800 });
    const run = await runSim([
      '--broker', broker.url, '--topic-root', root, '--devices', '40', '--rate', '400',
      '--plugin', 'dmi', '--device-set', '--plugin-beat-ms', '100', '--reregister-drop', '5',
      '--plugin-down-after', '1', '--plugin-down-for', '2', '--duration', '6', '--settle', '1', '--json',
    ]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.events.byReason).toEqual({ PLUGIN_DOWN: 40, REREGISTERED: 35 });
    expect(summary.reregisterRequests).toBeGreaterThanOrEqual(1);
    expect(summary.deviceSetsSent).toBeGreaterThanOrEqual(2);
    expect(summary.noneAtEnd).toBe(5);
    expect(bridge.tracker.query({ level: 'NONE' }).map((v) => v.id).sort()).toEqual(['sim-35', 'sim-36', 'sim-37', 'sim-38', 'sim-39']);
  });
});
