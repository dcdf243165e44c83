// Rebirths on request are paced (`sparkplug.rebirthMinIntervalMs`, src/sparkplug/rebirth-pacing.ts): the agent
// as a real process from its bin, Debian's mosquitto, a test host application that sends NCMD Node
// Control/Rebirth built by Eclipse Tahu's sparkplug-payload and decodes the births with it
// (test/support/sparkplug-host.ts). A single request is answered at once; a burst within the interval gets
// exactly one more rebirth, once the interval is over and after the burst's last request; a host flooding
// NCMDs gets at most one rebirth per interval, and a birth after its last request.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { hasPeer } from '../support/peers.js';
import { killAll } from '../support/service-procs.js';
import { SparkplugHost, type Seen } from '../support/sparkplug-host.js';
import { waitFor } from '../support/wait-for.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
const INTERVAL_MS = 1_500;
const REBIRTH = [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }];
const run = hasPeer('mosquitto', 'mosquitto');

describe.runIf(run)('Sparkplug rebirths on request, paced (rebirthMinIntervalMs 1500)', () => {
  let broker: Mosquitto;
  let host: SparkplugHost;
  let agent: AgentProcess;
  let workerPort: number;

  const nbirthsSince = (from: number): Seen[] => host.seen.slice(from).filter((s) => s.verb === 'NBIRTH');
  const deferrals = (): number => agent.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('sparkplug rebirth deferred')).length;
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    broker = await startMosquitto();
    host = await SparkplugHost.connect(broker.url, 'plant', 'gw-r');
    workerPort = await freePort();
    agent = await startAgent({
      agent: { id: 'gw-r' },
      health: { intervalMs: 500 },
      services: [{ name: 'worker', check: { type: 'process' }, start: { command: process.execPath, args: [SIM, '--port', String(workerPort), '--name', 'worker'] } }],
      sparkplug: { url: broker.url, groupId: 'plant', rebirthMinIntervalMs: INTERVAL_MS },
    });
    await host.next('the session\'s DBIRTH worker', (s) => s.verb === 'DBIRTH' && s.device === 'worker');
  });

  afterAll(async () => {
    await agent?.stop();
    await host?.close();
    await broker?.stop();
    killAll(`--port ${workerPort}`);
  });

  it('one request (the first since the session\'s birth): NBIRTH and the DBIRTHs at once, nothing deferred', async () => {
    const from = host.mark();
    await host.ncmd(REBIRTH);
    const nbirth = await host.next('NBIRTH', (s) => s.verb === 'NBIRTH', from);
    expect(nbirth.metrics.get('bdSeq')).toBe(0);
    await host.next('DBIRTH worker', (s) => s.verb === 'DBIRTH' && s.device === 'worker', from);
    expect(deferrals()).toBe(0);
  });

  it('a burst of 40 requests within the interval: exactly one more rebirth, after the last request and the interval', async () => {
    const before = nbirthsSince(0).at(-1)!;
    const from = host.mark();
    for (let i = 0; i < 40; i++) await host.ncmd(REBIRTH);
    const lastSentAt = performance.now();
    const nbirth = await host.next('the merged rebirth', (s) => s.verb === 'NBIRTH', from);
    expect(nbirth.at).toBeGreaterThan(lastSentAt);
    // Not before the interval since the last rebirth began (its NBIRTH reached the host a little after that).
    expect(nbirth.at - before.at).toBeGreaterThanOrEqual(INTERVAL_MS - 250);
    expect(nbirth.metrics.get('bdSeq')).toBe(0);
    const dbirth = await host.next('its DBIRTH', (s) => s.verb === 'DBIRTH' && s.device === 'worker', from);
    expect(dbirth.seq).toBe(1);
    // Two intervals more: nothing else was asked, nothing else is born.
    await pause(2 * INTERVAL_MS);
    expect(nbirthsSince(from)).toHaveLength(1);
    expect(deferrals()).toBe(1);
  });

  it('a host flooding NCMDs for 5 s: at most one rebirth per interval, and a birth after its last request', async () => {
    await pause(INTERVAL_MS);
    const from = host.mark();
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < 5_000) {
      await host.ncmd(REBIRTH);
      sent += 1;
      await pause(10);
    }
    const lastSentAt = performance.now();
    await waitFor('a birth after the last request', () => nbirthsSince(from).find((s) => s.at > lastSentAt), 2 * INTERVAL_MS + 5_000);
    const births = nbirthsSince(from);
    expect(sent).toBeGreaterThan(100);
    // 5 s of requests and the one after: at most ceil(5000 / 1500) + 1 rebirths, each at least an interval apart.
    expect(births.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < births.length; i++) expect(births[i]!.at - births[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL_MS - 250);
    await pause(2 * INTERVAL_MS);
    expect(nbirthsSince(from)).toHaveLength(births.length);
  });
});
