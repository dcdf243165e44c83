// The status page during a deployment, in headless Chromium (Debian's, through playwright-core) against the
// agent as a real process, its real test service and a real artifact server that trickles the download, so
// the deployment stays in DOWNLOADING as long as the test needs. The page shows the version and the state
// (live), holds Start/Stop/Restart with the reason, shows a CONFLICT as its message, and its "Cancel
// deployment" (two taps) ends the deployment FAILED and gives the buttons back: at 800x480 and at 375 px.
// A hostile server's words in a deployment's error are shown as text, never as HTML.
// PAGE_SCREENSHOTS=DIR writes a screenshot of each size with the deployment held there.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hasPeer } from '../support/peers.js';
import { pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { deploy, eventsOf, finalEvent, startRig, stopRig, type Rig } from '../deploy/deploy-rig.js';
import { release, sha256Hex } from '../deploy/tarball.js';

const CHROMIUM = '/usr/bin/chromium';
const present = hasPeer(CHROMIUM, 'chromium');
const QUICK = { healthyForMs: 500, timeoutMs: 30_000 };
const HELD = ['start', 'stop', 'restart'];

describe.skipIf(!present)('the status page and a deployment in progress', () => {
  let rig: Rig;
  let browser: Browser;
  let hostile: Server;

  /** A release of ~200 KB served at 4 000 bytes a second: a download of ~50 s, cut short by each test's cancel. */
  const trickling = (version: string): Record<string, unknown> => {
    const body = release(version, { extra: [{ path: 'app/padding.bin', body: randomBytes(200_000) }] });
    rig.server.files.set(`/${version}.tgz`, { body, bytesPerSecond: 4_000 });
    return { url: rig.server.url(`/${version}.tgz`), sha256: sha256Hex(body) };
  };
  const stateOf = async (id: string): Promise<Record<string, unknown> | undefined> => {
    const reply = await rig.mqtt.request('services.deployments', { name: 'app' });
    return (reply.result as { deployments: Array<Record<string, unknown>> }).deployments.find((d) => d.deploymentId === id);
  };
  const row = (page: Page) => page.locator('tr[data-service="app"]');
  const why = (page: Page) => row(page).locator('td.why');

  async function open(size: { width: number; height: number }, errors: string[]): Promise<Page> {
    const page = await browser.newPage({ viewport: size });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${rig.agent.httpPort}/`);
    await row(page).waitFor();
    return page;
  }

  /** Every visible button inside the viewport's width, and nothing covering its middle. */
  async function everyButtonReachable(page: Page, width: number): Promise<void> {
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    const buttons = page.locator('#svc button:visible');
    for (let i = 0; i < (await buttons.count()); i++) {
      const b = buttons.nth(i);
      await b.scrollIntoViewIfNeeded();
      const box = (await b.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, (await b.textContent()) ?? '').toBeLessThanOrEqual(width);
      expect(box.height).toBeGreaterThanOrEqual(24);
      expect(await b.evaluate((el) => { const r = el.getBoundingClientRect(); return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === el; })).toBe(true);
    }
  }

  const heldButtons = (page: Page) =>
    Promise.all(HELD.map(async (a) => ({ disabled: await row(page).locator(`button[data-action="${a}"]`).isDisabled(), title: await row(page).locator(`button[data-action="${a}"]`).getAttribute('title') })));

  /** Two taps on Cancel deployment; the first alone changes nothing. Returns once the page shows the end. */
  async function cancelFromPage(page: Page, id: string, version: string): Promise<void> {
    const cancel = row(page).locator('button[data-action="cancel"]');
    await cancel.scrollIntoViewIfNeeded();
    await cancel.click();
    await expect.poll(() => cancel.textContent()).toBe('Confirm cancel');
    await new Promise((r) => setTimeout(r, 600));
    expect(await stateOf(id)).toMatchObject({ state: 'DOWNLOADING' });
    expect((await stateOf(id))?.cancelledAt).toBeUndefined();
    await cancel.click();
    await page.locator('#note', { hasText: `cancel app: ${version} cancelled in DOWNLOADING` }).waitFor({ timeout: 10_000 });
    expect(await finalEvent(rig.mqtt, 'app', id, 5_000)).toMatchObject({ state: 'FAILED', from: 'DOWNLOADING', error: { code: 'INTERRUPTED' } });
    // The page follows the end on its own: no hold, no Cancel, the buttons back, how it ended in Why.
    await page.locator('tr[data-service="app"]:not([data-deploy])').waitFor({ timeout: 5_000 });
    await expect.poll(() => why(page).textContent()).toMatch(new RegExp(`^deploy ${version} FAILED: cancelled by `));
    expect(await row(page).locator('button[data-action="cancel"]').count()).toBe(0);
    expect(await heldButtons(page)).toEqual(HELD.map(() => ({ disabled: false, title: '' })));
  }

  beforeAll(async () => {
    rig = await startRig({ executor: { type: 'process', stopGraceMs: 2_000 }, health: { intervalMs: 200, retries: 2, restartDelayMs: 300 } });
    const body = release('v1');
    rig.server.files.set('/v1.tgz', { body });
    const id = await deploy(rig.mqtt, { name: 'app', version: 'v1', artifact: { url: rig.server.url('/v1.tgz'), sha256: sha256Hex(body) }, gate: QUICK });
    expect(await finalEvent(rig.mqtt, 'app', id)).toMatchObject({ state: 'DONE' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  }, 60_000);

  // A test that failed half-way leaves no deployment behind to refuse the next one's.
  afterEach(async () => {
    if (rig) await rig.mqtt.request('services.cancel', { name: 'app' }).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    hostile?.closeAllConnections();
    await new Promise((r) => (hostile ? hostile.close(r) : r(undefined)));
    await stopRig(rig);
  });

  it('800x480: version and state live, Start/Stop/Restart held with the reason, a CONFLICT shown as its message, Cancel (two taps) ends it FAILED and gives the buttons back', async () => {
    const errors: string[] = [];
    const [pid] = pidsWithArg(`--port ${rig.appPort}`);
    const id = await deploy(rig.mqtt, { name: 'app', version: 'v2', artifact: trickling('v2'), gate: QUICK });
    const page = await open({ width: 800, height: 480 }, errors);
    await page.locator('tr[data-service="app"][data-deploy="DOWNLOADING"]').waitFor({ timeout: 10_000 });
    // Live: the percentage moves with the DOWNLOADING events, without a reload.
    const percent = async (): Promise<number> => Number(/^deploying v2: DOWNLOADING (\d+) %; Start, Stop, Restart wait for it/.exec((await why(page).textContent()) ?? '')?.[1] ?? -1);
    const seen = await waitFor('a percentage', async () => ((await percent()) >= 0 ? { p: await percent() } : undefined)).catch(async (err: unknown) => {
      throw new Error(`${String(err)}; why: ${await why(page).textContent()}`);
    });
    const first = seen.p;
    await waitFor('the percentage moving', async () => (await percent()) > first, 15_000);
    expect(await heldButtons(page)).toEqual(HELD.map(() => ({ disabled: true, title: 'held by the deployment of v2 (DOWNLOADING)' })));
    await everyButtonReachable(page, 800);
    if (process.env.PAGE_SCREENSHOTS) await page.screenshot({ path: join(process.env.PAGE_SCREENSHOTS, 'status-page-deploy-800x480.png') });

    // A page that had not seen the hold yet: the agent's CONFLICT is shown as its message, not as a failure.
    await page.evaluate(() => {
      const b = document.querySelector<HTMLButtonElement>('tr[data-service="app"] button[data-action="restart"]')!;
      b.disabled = false;
      b.click();
    });
    const note = page.locator('#note.held', { hasText: `app has a deployment in progress (${id}, DOWNLOADING)` });
    await note.waitFor({ timeout: 5_000 });
    expect(await note.textContent()).not.toMatch(/^restart app: CONFLICT/);
    // Held again once answered, and the running process never touched.
    expect(await row(page).locator('button[data-action="restart"]').isDisabled()).toBe(true);
    expect(pidsWithArg(`--port ${rig.appPort}`)).toEqual([pid]);

    await cancelFromPage(page, id, 'v2');
    expect(await stateOf(id)).toMatchObject({ state: 'FAILED', cancelledBy: expect.any(String) });
    expect(pidsWithArg(`--port ${rig.appPort}`)).toEqual([pid]);
    // The buttons work again: a restart answers OK.
    await row(page).locator('button[data-action="restart"]').click();
    await page.locator('#note', { hasText: 'restart app: OK' }).waitFor({ timeout: 10_000 });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('375 px: the card shows the deployment, every button (Cancel deployment too) reachable, and Cancel works there', async () => {
    const errors: string[] = [];
    const id = await deploy(rig.mqtt, { name: 'app', version: 'v3', artifact: trickling('v3'), gate: QUICK });
    const page = await open({ width: 375, height: 740 }, errors);
    await page.locator('tr[data-service="app"][data-deploy="DOWNLOADING"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => why(page).textContent()).toMatch(/^deploying v3: DOWNLOADING/);
    expect((await heldButtons(page)).every((b) => b.disabled)).toBe(true);
    await everyButtonReachable(page, 375);
    if (process.env.PAGE_SCREENSHOTS) await page.screenshot({ path: join(process.env.PAGE_SCREENSHOTS, 'status-page-deploy-375x740.png'), fullPage: true });
    await cancelFromPage(page, id, 'v3');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a package resting at DELIVERED holds nothing: Start/Stop/Restart enabled, and Cancel ends it FAILED in its answer', async () => {
    const errors: string[] = [];
    const body = release('v5');
    rig.server.files.set('/v5.tgz', { body });
    const id = await deploy(rig.mqtt, { name: 'app', version: 'v5', artifact: { url: rig.server.url('/v5.tgz'), sha256: sha256Hex(body) }, gate: QUICK, hold: true });
    const page = await open({ width: 800, height: 480 }, errors);
    await page.locator('tr[data-service="app"][data-deploy="DELIVERED"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => why(page).textContent()).toMatch(/^package v5 DELIVERED: waits for Install/);
    expect(await heldButtons(page)).toEqual(HELD.map(() => ({ disabled: false, title: '' })));
    const cancel = row(page).locator('button[data-action="cancel"]');
    await cancel.click();
    await cancel.click();
    await page.locator('#note', { hasText: 'cancel app: v5 FAILED' }).waitFor({ timeout: 10_000 });
    await page.locator('tr[data-service="app"]:not([data-deploy])').waitFor({ timeout: 5_000 });
    expect(await stateOf(id)).toMatchObject({ state: 'FAILED', error: { code: 'INTERRUPTED' } });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a hostile server's words in a deployment's error are text, never HTML", async () => {
    // Answers a plain GET with 206 and a Content-Range of markup: the agent's DOWNLOAD error quotes the header.
    hostile = createServer((_req, res) => {
      res.writeHead(206, { 'content-range': 'bytes <img src=x id=pwned onerror="window.pwned=1">', 'content-length': '0' }).end();
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/v4.tgz`;
    const id = await deploy(rig.mqtt, { name: 'app', version: 'v4', artifact: { url, sha256: '0'.repeat(64) }, gate: QUICK });
    const end = await finalEvent(rig.mqtt, 'app', id, 40_000);
    expect(end).toMatchObject({ state: 'FAILED' });
    expect(JSON.stringify(end)).toContain('<img');
    const errors: string[] = [];
    const page = await open({ width: 800, height: 480 }, errors);
    await expect.poll(() => why(page).textContent()).toMatch(/^deploy v4 FAILED: .*<img src=x id=pwned/);
    expect(await page.locator('#pwned, #svc img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(eventsOf(rig.mqtt, 'app', id).length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
