// Issue 27: the status page's watch views in a real browser (Debian's chromium through playwright-core)
// against the agent as a real process: a FIRING rule is shown, and each service's CPU and memory of the last
// hour are drawn (inline SVG, no charting library) from services.history; a service's output on demand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { killAll } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const present = hasPeer(CHROMIUM, 'chromium');
const SIM = join(ROOT, 'firmware-sim/service.js');

describe.skipIf(!present)('the status page shows firing rules and the last hour', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let browser: Browser;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    agent = await startAgent({
      agent: { id: 'watch-page' },
      watch: { intervalMs: 1000 },
      rules: [{ name: 'big', service: 'fat', metric: 'memoryBytes', above: 100 * 1024 * 1024, forMs: 1000, action: 'alert' }],
    });
    mqtt = await MqttRequester.forAgent(agent);
    const start = { command: process.execPath, args: [SIM, '--port', String(port), '--grow-mb', '150'] };
    expect((await mqtt.request('registry.register', { name: 'fat', check: { type: 'process' }, start })).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['fat'] })).ok).toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await mqtt?.close();
    await agent?.stop();
    killAll(`--port ${port}`);
  });

  it('lists the firing rule and draws CPU and memory per service', async () => {
    await waitFor('FIRING', () => mqtt.events('alert/big/fat').some((e) => e.type === 'FIRING'), 20_000);
    // Two 10-second buckets of history at least, for a line to draw, of both metrics: CPU needs two samples
    // for its first value, so its history can be a bucket behind memory's (a loaded CI run met that).
    await waitFor('history', async () => {
      for (const metric of ['memoryBytes', 'cpuPercent']) {
        const r = await mqtt.request('services.history', { name: 'fat', metric, stepMs: 10_000 });
        if ((r.result as { points: unknown[] }).points.length < 2) return false;
      }
      return true;
    }, 40_000);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${agent.httpPort}/`);
    await page.locator('#alerts', { hasText: 'big on fat' }).waitFor({ timeout: 10_000 });
    const history = page.locator('tr[data-history="fat"]');
    await history.locator('polyline').nth(1).waitFor({ state: 'attached', timeout: 10_000 });
    expect(await history.locator('svg.spark').count()).toBe(2);
    expect(await history.locator('td').nth(4).textContent()).toMatch(/^\d+\.\d MB$/);
    expect(Number((await history.locator('td').nth(4).textContent())!.split(' ')[0])).toBeGreaterThan(100);
    // Its output on demand: the sim's `listening PORT` line on stdout.
    await history.locator('button', { hasText: 'Output' }).click();
    await page.locator('#output', { hasText: `stdout listening ${port}` }).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
  });
});
