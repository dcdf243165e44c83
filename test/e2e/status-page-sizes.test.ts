// Issue 28: the status page on a 7-inch 800x480 panel, a 375 px phone and a desktop, in headless Chromium
// against the agent as a real process: every button inside the viewport and working, columns that do not
// move, why each service is in its state, Stop only on a second tap, the device list in pages, and the
// last state greyed with every button off while the agent is gone.
// PAGE_SCREENSHOTS=DIR writes a screenshot per size there (README's pictures come from it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { killAll } from '../support/service-procs.js';
import { freePort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const present = hasPeer(CHROMIUM, 'chromium');
const SIZES = [
  { width: 1280, height: 800 },
  { width: 800, height: 480 },
  { width: 375, height: 740 },
] as const;
const DEVICES = 120;
const idle = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };

describe.skipIf(!present)('the status page at three sizes', () => {
  let agent: AgentProcess;
  let requester: MqttRequester;
  let browser: Browser;

  beforeAll(async () => {
    agent = await startAgent({
      agent: { id: 'sizes-gw' },
      health: { intervalMs: 300, timeoutMs: 200, retries: 1, restartDelayMs: 100, backoffMaxMs: 200, maxRestarts: 2, restartWindowMs: 60_000, startGraceMs: 500 },
    });
    requester = await MqttRequester.forAgent(agent);
    const register = async (body: Record<string, unknown>): Promise<void> => expect((await requester.request('registry.register', body)).ok).toBe(true);
    await register({ name: 'runner-with-a-rather-long-name', check: { type: 'process' }, start: idle });
    await register({ name: 'parked', check: { type: 'process' }, start: idle });
    await register({ name: 'crasher', check: { type: 'process' }, start: { command: process.execPath, args: ['-e', 'process.exit(3)'] } });
    // Runs, but its check's port is closed: DOWN with the check's detail (ECONNREFUSED), never restarted.
    const closed = await freePort();
    await register({ name: 'web', host: '127.0.0.1', port: closed, check: { type: 'http', url: `http://127.0.0.1:${closed}/health` }, start: idle, restartPolicy: 'never' });
    expect((await requester.request('services.start', { names: ['runner-with-a-rather-long-name', 'crasher', 'web'] })).ok).toBe(true);
    const devices = await mqtt.connectAsync(`mqtt://127.0.0.1:${agent.mqttPort}`, { protocolVersion: 4 });
    for (let i = 0; i < DEVICES; i++) devices.publish(`${agent.topicRoot}/heartbeat/device/dev-${String(i).padStart(3, '0')}`, '', { qos: 0 });
    await devices.endAsync();
    await waitFor('devices tracked and the crasher given up', async () => {
      const info = (await requester.request('agent.info')).result as { devices: number };
      const list = (await requester.request('services.list')).result as Array<{ name: string; status: string }>;
      return info.devices === DEVICES && list.find((s) => s.name === 'crasher')?.status === 'FAILED';
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await requester?.close();
    await agent?.stop();
    killAll(agent.configPath);
  });

  async function open(size: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage({ viewport: size });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${agent.httpPort}/`);
    await page.locator('tr[data-service="crasher"][data-status="FAILED"]').waitFor();
    await page.locator('#devices tr').first().waitFor();
    expect(errors).toEqual([]);
    return page;
  }

  const row = (page: Page, name: string) => page.locator(`tr[data-service="${name}"]`);

  for (const size of SIZES) {
    it(`${size.width}x${size.height}: no sideways scrolling, every button inside the viewport and working`, async () => {
      const page = await open(size);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
      expect(await page.locator('#svc button').count()).toBe(4 * 3); // Start, Stop, Restart per service
      expect(await page.locator('#dev-bar button').count()).toBe(3); // Find, Previous, Next
      // Every button of the page, the other views' (issue 27: Output, per history row) included, once they are drawn.
      await page.locator('tr[data-history] button').nth(3).waitFor();
      const buttons = page.locator('button:visible');
      const n = await buttons.count();
      for (let i = 0; i < n; i++) {
        const b = buttons.nth(i);
        await b.scrollIntoViewIfNeeded();
        const box = (await b.boundingBox())!;
        expect(box.x, await b.textContent() ?? '').toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(size.width);
        expect(box.height).toBeGreaterThanOrEqual(24); // a finger's target on a touch panel
        // Nothing covers or clips it: its middle is the button itself.
        expect(await b.evaluate((el) => { const r = el.getBoundingClientRect(); return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el; })).toBe(true);
      }
      // A button at this size does its work: Restart of the running service, answered in the note.
      const restart = row(page, 'runner-with-a-rather-long-name').locator('button[data-action="restart"]');
      await restart.scrollIntoViewIfNeeded();
      await restart.click();
      await page.locator('#note', { hasText: 'restart runner-with-a-rather-long-name: OK' }).waitFor();
      if (process.env.PAGE_SCREENSHOTS) await page.screenshot({ path: join(process.env.PAGE_SCREENSHOTS, `status-page-${size.width}x${size.height}.png`), fullPage: size.width < 800 });
      await page.close();
    });
  }

  it('says why: gave up after N restarts, the check detail, an operator stop in grey, not red', async () => {
    const page = await open(SIZES[1]);
    await expect.poll(() => row(page, 'crasher').locator('td.why').textContent()).toMatch(/^gave up after 2 restarts/);
    await row(page, 'web').and(page.locator('[data-health="DOWN"]')).waitFor({ timeout: 10_000 });
    // Its check's own words, whatever the restart policy made of the DOWN.
    await expect.poll(() => row(page, 'web').locator('td.why').textContent()).toMatch(/ECONNREFUSED/);
    const parked = row(page, 'parked');
    expect(await parked.getAttribute('data-status')).toBe('STOPPED');
    expect(await parked.locator('td').nth(2).textContent()).toBe('off');
    expect(await parked.locator('td.why').textContent()).toContain('Start runs it');
    await page.close();
  });

  it('columns keep their places while texts change, and Stop needs a second tap', async () => {
    const page = await open(SIZES[1]);
    const edges = () => page.locator('#svc th').evaluateAll((ths) => ths.map((th) => Math.round(th.getBoundingClientRect().left)));
    const before = await edges();
    const stop = row(page, 'runner-with-a-rather-long-name').locator('button[data-action="stop"]');
    await stop.click();
    await expect.poll(() => stop.textContent()).toBe('Confirm stop');
    // One tap did nothing: the service still runs.
    const listed = async () => ((await requester.request('services.list')).result as Array<{ name: string; status: string }>).find((s) => s.name === 'runner-with-a-rather-long-name')!.status;
    expect(await listed()).toBe('RUNNING');
    await stop.click();
    await page.locator('#note', { hasText: 'stop runner-with-a-rather-long-name: OK' }).waitFor({ timeout: 10_000 }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; note: ${await page.locator('#note').textContent()}`);
    });
    await row(page, 'runner-with-a-rather-long-name').and(page.locator('[data-status="STOPPED"]')).waitFor({ timeout: 10_000 });
    expect(await listed()).toBe('STOPPED');
    expect(await edges()).toEqual(before);
    // Left alone, a first tap goes back to Stop.
    const start = row(page, 'runner-with-a-rather-long-name').locator('button[data-action="start"]');
    await start.click();
    await row(page, 'runner-with-a-rather-long-name').and(page.locator('[data-status="RUNNING"]')).waitFor({ timeout: 10_000 });
    await stop.click();
    await expect.poll(() => stop.textContent(), { timeout: 6_000 }).toBe('Stop');
    expect(await listed()).toBe('RUNNING');
    await page.close();
  });

  it('lists devices in pages of 50, by level and by id', async () => {
    const page = await open(SIZES[2]);
    const ids = () => page.locator('#devices tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.device));
    expect(await ids()).toHaveLength(50);
    await expect.poll(() => page.locator('#dev-page').textContent()).toBe('devices 1-50');
    await page.locator('#dev-next').click();
    await expect.poll(() => page.locator('#dev-page').textContent()).toBe('devices 51-100');
    await page.locator('#dev-next').click();
    await expect.poll(() => page.locator('#dev-page').textContent()).toBe('devices 101-120');
    expect(await page.locator('#dev-next').isDisabled()).toBe(true);
    await page.locator('#dev-prev').click();
    await expect.poll(() => page.locator('#dev-page').textContent()).toBe('devices 51-100');
    await page.locator('#dev-level').selectOption('NONE');
    await expect.poll(() => page.locator('#dev-page').textContent()).toBe('no devices');
    await page.locator('#dev-level').selectOption('');
    await page.locator('#dev-id').fill('dev-007');
    await page.locator('#dev-go').click();
    await expect.poll(ids).toEqual(['dev-007']);
    await page.close();
  });

  it('while the agent is gone: the last state greyed, every button off, and says since when', async () => {
    const page = await open(SIZES[1]);
    expect(await page.locator('button[data-action]').first().isDisabled()).toBe(false);
    await agent.stop();
    await page.locator('body.stale').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('#live').textContent()).toMatch(/^disconnected since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    const disabled = await page.locator('button[data-action], #dev-bar button').evaluateAll((bs) => bs.map((b) => (b as HTMLButtonElement).disabled));
    expect(disabled.length).toBeGreaterThan(0);
    expect(disabled.every(Boolean)).toBe(true);
    // The rows are still there: what was last known, not an empty page.
    expect(await page.locator('tr[data-service]').count()).toBe(4);
    await page.close();
  });
});
