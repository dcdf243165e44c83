// Issue 11 item 2 (LwM2M): an Execute Restart retransmitted after the CoAP de-duplication cache lost it, and
// after the agent restarted, is answered from the journal and the service restarts once. The agent is a real
// process, the service a real child process whose every start is a line in a file. The LwM2M server is
// RawCoapServer, a test double at the message level: a retransmission is the same datagram sent again, which
// no library server sends on request.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, tempDir, ROOT, type AgentProcess } from '../support/agent-process.js';
import { freePort, freeUdpPort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { RawCoapServer, type Sent } from '../lwm2m/fixtures/raw-coap-server.js';

const SIM = join(ROOT, 'firmware-sim/service.js');

describe('LwM2M Execute retransmitted: run once', () => {
  const dir = tempDir('sma-lwm2m-idem-');
  const starts = join(dir, 'starts.log');
  let server: RawCoapServer;
  let agent: AgentProcess;
  let svcPort: number;
  let config: Record<string, unknown>;
  let instance: number;
  const startCount = () => (existsSync(starts) ? readFileSync(starts, 'utf8').trim().split('\n').filter(Boolean).length : 0);
  const running = () => pidsWithArg(`--port ${svcPort}`);

  beforeAll(async () => {
    server = await RawCoapServer.open();
    svcPort = await freePort();
    const coapPort = await freeUdpPort();
    config = {
      agent: { id: 'lwm2m-idem' },
      dataDir: join(dir, 'data'),
      health: { intervalMs: 300, timeoutMs: 300, retries: 2, restartDelayMs: 100 },
      lwm2m: { serverUri: `coap://127.0.0.1:${server.port}`, lifetimeS: 60, localPort: coapPort },
    };
    agent = await startAgent(config, { dataDir: dir });
    await server.waitRegistered(1);
    const mqtt = await MqttRequester.forAgent(agent);
    // Every start of the real child is counted by the shell that execs it.
    const reg = await mqtt.request('registry.register', {
      name: 'idem-svc',
      // Supervised by its exit only: on a loaded machine a slow health answer would be a restart of its own,
      // and this test counts restarts.
      check: { type: 'process' },
      start: { command: '/bin/sh', args: ['-c', `echo start >> '${starts}'; exec '${process.execPath}' '${SIM}' --port ${svcPort}`] },
    });
    expect(reg.ok).toBe(true);
    instance = (reg.result as { instanceId: number }).instanceId;
    await mqtt.close();
    const started = await server.request({ code: 'POST', path: `/33000/${instance}/3` });
    expect(started.code).toBe('2.04');
    await waitFor('service running', () => running().length === 1, 15_000);
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.close();
    killAll(`--port ${svcPort}`);
    appendFileSync(starts, '');
  });

  /** Sends the Execute (again), expects 2.04, and waits until restarts have settled. */
  async function execute(sent: Sent): Promise<void> {
    const res = await server.send(sent, 15_000);
    expect(res.code).toBe('2.04');
    await waitFor('service running', () => running().length === 1, 15_000);
  }

  it('after 1 100 other requests evicted the de-duplication cache', async () => {
    const before = startCount();
    const restart = server.build({ code: 'POST', path: `/33000/${instance}/5` });
    await execute(restart);
    await waitFor('restarted once', () => startCount() === before + 1, 15_000);
    const pid = running()[0];
    // 1 100 distinct reads, more than the 1 024 responses the cache keeps.
    for (let i = 0; i < 1_100; i += 50) await Promise.all(Array.from({ length: 50 }, () => server.request({ code: 'GET', path: '/33001/0/0' }, 10_000)));
    await execute(restart);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(startCount()).toBe(before + 1);
    expect(running()).toEqual([pid]);
  });

  it('after the agent restarted', async () => {
    const restart = server.build({ code: 'POST', path: `/33000/${instance}/5` });
    const before = startCount();
    await execute(restart);
    await waitFor('restarted once', () => startCount() === before + 1, 15_000);
    await agent.stop();
    const registrations = server.registrations;
    agent = await startAgent(config, { dataDir: dir });
    await server.waitRegistered(registrations + 1);
    await waitFor('service running', () => running().length === 1, 15_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const settled = startCount();
    const pid = running()[0];
    await execute(restart);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(startCount()).toBe(settled);
    expect(running()).toEqual([pid]);
  });
});
