// Issue 23: a real web page in the operator's browser (Debian's chromium through playwright-core) attacking the
// EdgeX routes of an agent on loopback with no users, where whoever reaches the port is the operator. From
// another origin it tries what a page can: a text/plain form whose body reads as JSON, simple fetches, a
// JSON fetch (which needs a preflight), and reading answers; and by DNS rebinding (Chromium resolves
// evil.example to 127.0.0.1) it tries the same as a same-origin page under a foreign name. Nothing may change
// and nothing may be read; the agent's own page, meanwhile, still works.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { waitFor } from '../support/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const present = hasPeer(CHROMIUM, 'chromium');

/** The attacking page: every trick at once, reporting what it could read into `window.results`. */
const attackPage = (agent: string): string => `<!doctype html><html><body>
<form id="f" method="POST" action="${agent}/api/v2/system/operation" enctype="text/plain" target="sink">
  <input name='[{"apiVersion":"v2","serviceName":"victim","action":"stop","pad":"' value='"}]'>
</form>
<form id="g" method="POST" action="${agent}/api/v3/registry" enctype="application/x-www-form-urlencoded" target="sink2">
  <input name="registration" value="x">
</form>
<iframe name="sink"></iframe><iframe name="sink2"></iframe>
<script>
window.results = {};
const stop = JSON.stringify([{ apiVersion: 'v3', serviceName: 'victim', action: 'stop' }]);
const reg = JSON.stringify({ apiVersion: 'v3', registration: { serviceId: 'planted', host: '127.0.0.1', port: 1, healthCheck: { type: 'http', path: '/', interval: '10s' } } });
async function attempt(name, url, init) {
  try { const r = await fetch(url, init); results[name] = { type: r.type, status: r.status, body: r.type === 'opaque' ? '' : await r.text() }; }
  catch (e) { results[name] = { error: String(e) }; }
}
(async () => {
  document.getElementById('f').submit();
  document.getElementById('g').submit();
  await attempt('simple-stop', '${agent}/api/v3/system/operation', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: stop });
  await attempt('simple-register', '${agent}/api/v3/registry', { method: 'POST', mode: 'no-cors', body: reg });
  await attempt('json-stop', '${agent}/api/v3/system/operation', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stop });
  await attempt('kv-put', '${agent}/api/v3/kvs/key/edgex/v4/victim/Writable/LogLevel', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"value":"DEBUG"}' });
  await attempt('read-config', '${agent}/api/v3/config', {});
  await attempt('read-registry', '${agent}/api/v3/registry/all', {});
  results.done = true;
})();
</script></body></html>`;

describe.skipIf(!present)('a cross-site page in headless Chromium against the EdgeX routes (issue 23)', () => {
  let agent: AgentProcess;
  let mqtt: MqttRequester;
  let browser: Browser;
  let attacker: Server;
  let attackerPort: number;

  /** What the attacks must leave as it was: the victim's process, the registrations, its configuration. */
  const state = async (): Promise<string> => {
    const list = (await mqtt.request('services.list', { includeDeregistered: true })).result as Array<{ name: string; status: string; pid?: number }>;
    const config = (await mqtt.request('config.get', { name: 'victim' })).result;
    return JSON.stringify({ list: list.map((s) => `${s.name}:${s.status}:${s.pid ?? ''}`).sort(), config });
  };

  beforeAll(async () => {
    agent = await startAgent({ agent: { id: 'browser-gw' } });
    mqtt = await MqttRequester.forAgent(agent);
    const idle = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
    expect((await mqtt.request('registry.register', { name: 'victim', check: { type: 'process' }, start: idle, config: { Writable: { LogLevel: 'INFO' } } })).ok).toBe(true);
    expect((await mqtt.request('services.start', { names: ['victim'] })).ok).toBe(true);
    await waitFor('victim RUNNING', async () => ((await mqtt.request('services.list')).result as Array<{ status: string }>)[0]?.status === 'RUNNING');
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackPage(`http://127.0.0.1:${agent.httpPort}`)));
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerPort = (attacker.address() as AddressInfo).port;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--host-resolver-rules=MAP evil.example 127.0.0.1'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => attacker?.close(r));
    await mqtt?.close();
    await agent?.stop();
  });

  it('a page of another origin stops nothing, registers nothing, writes nothing and reads nothing', async () => {
    const before = await state();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${attackerPort}/`);
    await page.waitForFunction(() => (window as unknown as { results: { done?: boolean } }).results?.done === true, undefined, { timeout: 20_000 });
    const results = await page.evaluate(() => (window as unknown as { results: Record<string, { type?: string; status?: number; body?: string; error?: string }> }).results);
    // Give the form posts time to land before looking.
    await page.waitForTimeout(500);
    expect(await state()).toBe(before);
    // No-cors answers are opaque; CORS ones fail: the agent grants no origin.
    expect(results['simple-stop'].type).toBe('opaque');
    expect(results['json-stop'].error).toMatch(/Failed to fetch/);
    expect(results['kv-put'].error).toMatch(/Failed to fetch/);
    expect(results['read-config'].error).toMatch(/Failed to fetch/);
    expect(results['read-registry'].error).toMatch(/Failed to fetch/);
    await page.close();
  });

  it('a rebound name (evil.example resolving to 127.0.0.1) gets 421 even as a same-origin page', async () => {
    const before = await state();
    const page = await browser.newPage();
    const landing = await page.goto(`http://evil.example:${agent.httpPort}/`);
    expect(landing?.status()).toBe(421);
    const got = await page.evaluate(async () => {
      const stop = await fetch('/api/v3/system/operation', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ apiVersion: 'v3', serviceName: 'victim', action: 'stop' }]) });
      const config = await fetch('/api/v3/config');
      const kv = await fetch('/api/v3/kvs/key/edgex/v4/victim?plaintext=true');
      return { stop: stop.status, config: config.status, kv: kv.status, kvBody: await kv.text() };
    });
    expect(got).toMatchObject({ stop: 421, config: 421, kv: 421 });
    expect(got.kvBody).not.toContain('INFO');
    expect(await state()).toBe(before);
    await page.close();
  });

  it("the agent's own page still operates (positive control)", async () => {
    const page = await browser.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`http://127.0.0.1:${agent.httpPort}/`);
    const status = await page.evaluate(async () => {
      const r = await fetch('/api/v3/system/operation', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ apiVersion: 'v3', serviceName: 'victim', action: 'restart' }]) });
      return { status: r.status, body: await r.json() as Array<{ statusCode: number }> };
    });
    expect(status.status).toBe(207);
    expect(status.body[0].statusCode).toBe(200);
    await page.close();
  });
});
