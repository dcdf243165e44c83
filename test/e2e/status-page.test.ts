// Issue 14, build 3: the status page at the HTTP root, in a real browser (Debian's chromium through
// playwright-core) against the agent as a real process with a real child service.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const present = hasPeer(CHROMIUM, 'chromium');

/** A service that writes its pid where the test can find it, then idles. */
const idler = (pidFile: string) => ({
  command: process.execPath,
  args: ['-e', `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`],
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A raw request, so Host and Origin can be what an attacking page would make a browser send. */
function raw(port: number, path: string, method: string, headers: Record<string, string>, body = ''): Promise<{ status: number; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, setHost: headers.host === undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
      // An event stream never ends: its status is all this needs.
      if (res.headers['content-type'] === 'text/event-stream') {
        resolve({ status: res.statusCode ?? 0, bytes: Buffer.alloc(0) });
        req.destroy();
      }
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(!present)('the status page in headless Chromium', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let browser: Browser;
  let page: Page;
  let pidFile: string;
  const pid = (): number => Number(readFileSync(pidFile, 'utf8'));
  const row = (name: string) => page.locator(`tr[data-service="${name}"]`);

  beforeAll(async () => {
    agent = await startAgent({ agent: { id: 'page-gw' }, health: { intervalMs: 200, timeoutMs: 150, retries: 1, restartDelayMs: 300 } });
    pidFile = join(agent.dataDir, 'blinker.pid');
    mqtt = await MqttRequester.forAgent(agent);
    expect((await mqtt.request('registry.register', { name: 'blinker', check: { type: 'process' }, start: idler(pidFile) })).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['blinker'] })).ok).toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await mqtt?.close();
    await agent?.stop();
  });

  it('shows the agent and its services, and follows a service DOWN and back UP without a reload', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${agent.httpPort}/`);
    await page.locator('#agent', { hasText: 'page-gw' }).waitFor();
    await row('blinker').and(page.locator('[data-health="UP"]')).waitFor();
    await page.evaluate(() => ((window as unknown as { loadedOnce: number }).loadedOnce = 1));

    const first = await waitFor('blinker pid', () => (readFileSync(pidFile, 'utf8') ? pid() : undefined));
    process.kill(first, 'SIGKILL');
    await row('blinker').and(page.locator('[data-health="DOWN"]')).waitFor({ timeout: 15_000 });
    await waitFor('blinker restarted', () => pid() !== first && alive(pid()));
    await row('blinker').and(page.locator('[data-health="UP"][data-status="RUNNING"]')).waitFor({ timeout: 15_000 });
    expect(Number(await row('blinker').locator('td').nth(3).textContent())).toBeGreaterThanOrEqual(1);
    // The same document all along: the updates came over the event stream.
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: number }).loadedOnce)).toBe(1);
    expect(errors).toEqual([]);
  });

  it('stops the service with its Stop button, through the agent', async () => {
    const running = pid();
    // Stop asks for a second tap (issue 28): the first only turns the button into "Confirm stop".
    await row('blinker').locator('button[data-action="stop"]').click();
    await row('blinker').locator('button.confirm[data-action="stop"]').click();
    await row('blinker').and(page.locator('[data-status="STOPPED"]')).waitFor({ timeout: 15_000 });
    await page.locator('#note', { hasText: 'stop blinker: OK, STOPPED' }).waitFor();
    await waitFor('blinker process gone', () => !alive(running));
    const listed = (await mqtt.request('services.list')).result as Array<{ name: string; status: string }>;
    expect(listed.find((s) => s.name === 'blinker')?.status).toBe('STOPPED');
  });

  it('starts it again with its Start button', async () => {
    await row('blinker').locator('button[data-action="start"]').click();
    await row('blinker').and(page.locator('[data-status="RUNNING"]')).waitFor({ timeout: 15_000 });
    await waitFor('blinker alive', () => alive(pid()));
  });

  it('serves the page gzip-compressed to a client that accepts it, the same document either way', async () => {
    const plain = await fetch(`http://127.0.0.1:${agent.httpPort}/`, { headers: { 'accept-encoding': 'identity' } });
    const zipped = await raw(agent.httpPort, '/', 'GET', { 'accept-encoding': 'gzip' });
    expect(plain.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
    expect(zipped.status).toBe(200);
    const text = await plain.text();
    expect(text).toContain('<title>sma-bridge</title>');
    expect(gunzipSync(zipped.bytes).toString('utf8')).toBe(text);
    expect(zipped.bytes.length).toBeLessThan(text.length / 2);
  });

  it('holds at most 32 open event streams: the next is refused, and a freed slot is taken again', async () => {
    const open = (): Promise<{ status: number; close: () => void }> =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: agent.httpPort, path: '/events' }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
        });
        req.on('error', reject);
        req.end();
      });
    const streams = [];
    // The browser page of the earlier tests holds one already.
    for (let i = 0; i < 40; i++) streams.push(await open());
    const refused = streams.filter((s) => s.status === 503).length;
    expect(streams.filter((s) => s.status === 200).length).toBe(31);
    expect(refused).toBe(9);
    for (const s of streams) s.close();
    await waitFor('a slot free again', async () => {
      const again = await open();
      again.close();
      return again.status === 200;
    });
  });

  describe('refuses what another web site could make the browser send', () => {
    const stop = JSON.stringify({ names: ['blinker'] });
    const json = { 'content-type': 'application/json' };
    // Each attack starts from a running service, so one guard's failure does not hide behind another's.
    beforeEach(async () => {
      expect((await mqtt.request('services.start', { names: ['blinker'] })).ok).toBe(true);
      await waitFor('blinker running', async () => {
        const listed = (await mqtt.request('services.list')).result as Array<{ name: string; status: string }>;
        return listed.find((s) => s.name === 'blinker')?.status === 'RUNNING';
      });
    });
    const stillRunning = async (): Promise<void> => {
      const listed = (await mqtt.request('services.list')).result as Array<{ name: string; status: string }>;
      expect(listed.find((s) => s.name === 'blinker')?.status).toBe('RUNNING');
    };

    it('a cross-site form post (no JSON content type)', async () => {
      const r = await raw(agent.httpPort, '/ops/services.stop', 'POST', { 'content-type': 'application/x-www-form-urlencoded' }, 'names=blinker');
      expect(r.status).toBe(415);
      await stillRunning();
    });

    it('a cross-site fetch (another Origin)', async () => {
      const r = await raw(agent.httpPort, '/ops/services.stop', 'POST', { ...json, origin: 'http://evil.example' }, stop);
      expect(r.status).toBe(403);
      await stillRunning();
    });

    it('DNS rebinding (a foreign Host name on the loopback listener), for the page, its feed and its buttons', async () => {
      const host = { host: `evil.example:${agent.httpPort}` };
      expect((await raw(agent.httpPort, '/', 'GET', host)).status).toBe(421);
      expect((await raw(agent.httpPort, '/events', 'GET', host)).status).toBe(421);
      const r = await raw(agent.httpPort, '/ops/services.stop', 'POST', { ...host, ...json, origin: `http://${host.host}` }, stop);
      expect(r.status).toBe(421);
      await stillRunning();
    });

    it('an operation the page does not offer', async () => {
      const r = await raw(agent.httpPort, '/ops/registry.deregister', 'POST', json, JSON.stringify({ name: 'blinker' }));
      expect(r.status).toBe(404);
      await stillRunning();
    });
  });
});
