// Issue 28: the status page's device list with a million tracked devices. Run: npm run build && node
// bench/page-devices.js   (DEVICES=n, default 1 000 000). The fleet simulator (sma-bridge sim) beats every
// device once; then trust.get pages as the page asks for them (POST /ops/trust.get), and the page itself in
// headless Chromium at 800x480: first page of devices, Next, Find by id. Agent RSS afterwards.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, rssBytes, startAgent } from './_agent-process.js';

const DEVICES = Number(process.env.DEVICES ?? 1_000_000);
const RATE = 60_000;
const a = await startAgent();
const base = `http://127.0.0.1:${a.ready.httpPort}`;
execFileSync(process.execPath, [join(ROOT, 'dist/main.js'), 'sim', '--broker', `mqtt://127.0.0.1:${a.ready.mqttPort}`, '--topic-root', a.topicRoot,
  '--devices', String(DEVICES), '--rate', String(RATE), '--duration', String(Math.ceil(DEVICES / RATE) + 3), '--connections', '8', '--quiet'], { stdio: 'ignore' });

async function page(body) {
  const t = performance.now();
  const r = await fetch(`${base}/ops/trust.get`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify(body) });
  const rows = (await r.json()).result.length;
  return { ms: performance.now() - t, rows };
}
const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const asks = { first: { limit: 50 }, nearTheEnd: { limit: 50, after: DEVICES - 100 }, levelNone: { limit: 50, level: 'NONE' }, byId: { ids: [`sim-${DEVICES - 1}`] } };
const trustGet = {};
for (const [name, body] of Object.entries(asks)) {
  const runs = [];
  for (let i = 0; i < 10; i++) runs.push(await page(body));
  trustGet[name] = { p50Ms: Number(median(runs.map((r) => r.ms)).toFixed(1)), rows: runs[0].rows };
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'], headless: true });
const p = await browser.newPage({ viewport: { width: 800, height: 480 } });
const time = async (act, until) => { const t = performance.now(); await act(); await p.getByText(until, { exact: true }).first().waitFor({ timeout: 15_000 }); return Math.round(performance.now() - t); };
const browserMs = {
  firstDevicesPage: await time(() => p.goto(`${base}/`), 'devices 1-50'),
  next: await time(() => p.getByRole('button', { name: 'Next' }).click(), 'devices 51-100'),
  findById: await time(async () => { await p.fill('input[placeholder="device id"]', `sim-${DEVICES - 1}`); await p.getByRole('button', { name: 'Find' }).click(); }, `sim-${DEVICES - 1}`),
};
await browser.close();
const agentRssMB = Number((rssBytes(a.child.pid) / 1024 / 1024).toFixed(1));
await a.stop();
console.log(JSON.stringify({ devices: DEVICES, trustGet, browserMs, agentRssMB }, null, 2));
