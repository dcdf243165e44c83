// Type=notify (packaging/sma-bridge.service): the agent as a real process tells a stand-in for systemd (a unix
// datagram listener at NOTIFY_SOCKET) READY=1 once it serves, WATCHDOG=1 every WATCHDOG_USEC/2 from its event
// loop, nothing while that loop is blocked, and STOPPING=1 at a stop.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { NotifyListener } from '../support/notify-listener.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';

const havePeers = hasPeer('python3', 'python3') && hasPeer('systemd-notify', 'systemd');
const WATCHDOG_USEC = 800_000; // pings every 400 ms

/** Blocks the agent's main thread for `ms` through its inspector; resolves when the busy loop has ended. */
async function blockEventLoop(agent: AgentProcess, ms: number): Promise<void> {
  const url = await waitFor('inspector url', () => /Debugger listening on (ws:\/\/\S+)/.exec(agent.stderr())?.[1]);
  const client = spawn(process.execPath, ['--experimental-websocket', join(ROOT, 'test/support/block-event-loop.mjs'), url, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  client.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => client.once('exit', r));
  expect(code).toBe(0);
  expect(out).toBe('blocked\ndone\n');
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

describe.skipIf(!havePeers)('systemd notify protocol', () => {
  const cleanup: Array<() => unknown> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('READY once serving, WATCHDOG at half of WATCHDOG_USEC, none while the loop is blocked, STOPPING at stop', async () => {
    const systemd = await NotifyListener.start();
    cleanup.push(() => systemd.close());
    const agent = await startAgent(
      { agent: { id: 'notify-agent' } },
      { env: { NOTIFY_SOCKET: systemd.socketPath, WATCHDOG_USEC: String(WATCHDOG_USEC), NODE_OPTIONS: '--inspect=127.0.0.1:0' } },
    );
    cleanup.push(() => agent.stop('SIGKILL'));
    const [ready] = await waitFor('READY=1', () => systemd.with('READY')[0] && systemd.with('READY'));
    expect(ready!.fields.READY).toBe('1');
    expect(ready!.fields.STATUS).toContain(`http port ${agent.httpPort}`);
    // As root, systemd-notify --pid sends under the agent's own pid: systemd sees the main process speak.
    if (process.getuid?.() === 0) expect(ready!.pid).toBe(agent.child.pid);
    // Ready means serving: the HTTP front answers at that moment (the log's ready line came first).
    expect((await fetch(`http://127.0.0.1:${agent.httpPort}/health`)).status).toBe(200);

    // The rate: six pings after READY, about 400 ms apart. Each goes through a spawned systemd-notify, so on a
    // loaded machine one arrives late and the gap after it looks short: the mean over five gaps is the rate.
    const pings = await waitFor('six pings', () => systemd.with('WATCHDOG').length >= 6 && systemd.with('WATCHDOG'), 10_000);
    expect(pings.every((m) => m.fields.WATCHDOG === '1')).toBe(true);
    expect(pings[0]!.at - ready!.at).toBeGreaterThan(300);
    const six = pings.slice(0, 6).map((m) => m.at);
    expect((six[5]! - six[0]!) / 5).toBeGreaterThan(300);
    const rate = gaps(six).sort((a, b) => a - b);
    expect(rate[2]).toBeLessThan(600);

    // A blocked event loop: 3 s without a ping, then the pings resume on their own.
    const before = systemd.with('WATCHDOG').length;
    await blockEventLoop(agent, 3_000);
    await waitFor('pings after the block', () => systemd.with('WATCHDOG').length >= before + 3 || undefined, 10_000);
    const longest = Math.max(...gaps(systemd.with('WATCHDOG').map((m) => m.at)));
    expect(longest).toBeGreaterThan(2_900);

    expect(await agent.stop('SIGTERM')).toBe(0);
    // Sent before the agent exited; the listener's line about it may reach this process a moment after the exit.
    const stopping = await waitFor('STOPPING=1', () => systemd.with('STOPPING').length > 0 && systemd.with('STOPPING'));
    expect(stopping).toHaveLength(1);
    const last = systemd.messages.at(-1)!;
    expect('WATCHDOG' in last.fields && last.at > stopping[0]!.at).toBe(false);
  });

  it('no pings when WATCHDOG_PID names another process', async () => {
    const systemd = await NotifyListener.start();
    cleanup.push(() => systemd.close());
    const agent = await startAgent({ agent: { id: 'notify-other' } }, { env: { NOTIFY_SOCKET: systemd.socketPath, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' } });
    cleanup.push(() => agent.stop('SIGKILL'));
    await waitFor('READY=1', () => systemd.with('READY')[0]);
    // Ten would-be ping periods pass (a health request in between proves the loop turns).
    const until = Date.now() + 1_000;
    await waitFor('a second of running', async () => (await fetch(`http://127.0.0.1:${agent.httpPort}/health`)).ok && Date.now() > until);
    expect(systemd.with('WATCHDOG')).toHaveLength(0);
    await agent.stop('SIGTERM');
    expect(await waitFor('STOPPING=1', () => systemd.with('STOPPING').length > 0 && systemd.with('STOPPING'))).toHaveLength(1);
  });
});
