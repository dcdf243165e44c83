// Issue 13 item 3: the EdgeX SMA system API (sys-mgmt-agent-2.4.yaml) under /api/v2 and /api/v3, against
// the agent as a real process with real child services. Every answer is checked against the document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, startAgent, type AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';
import { documentedCall, loadDocument, type ApiDocument, type DocumentedAnswer } from './openapi-documents.js';

const SIM = join(ROOT, 'firmware-sim/service.js');
type Item = { apiVersion: string; statusCode: number; serviceName: string; message?: string; metrics?: Record<string, number>; config?: Record<string, unknown> };

describe('the SMA system API', () => {
  let agent: AgentProcess;
  let doc: ApiDocument;
  let webPort: number;

  const sma = (method: string, path: string, opId: string, body?: unknown): Promise<DocumentedAnswer> => documentedCall(doc, `http://127.0.0.1:${agent.httpPort}`, method, path, opId, body);

  beforeAll(async () => {
    doc = await loadDocument('sys-mgmt-agent-2.4.yaml');
    webPort = await freePort();
    agent = await startAgent({
      health: { intervalMs: 200, timeoutMs: 500, retries: 1, restartDelayMs: 100 },
      // The static manifest (registry none) and its services' start commands.
      registry: { type: 'none' },
      services: [
        {
          name: 'web',
          check: { type: 'http', url: `http://127.0.0.1:${webPort}/health` },
          start: { command: process.execPath, args: [SIM, '--port', String(webPort), '--name', 'web'] },
          config: { Writable: { LogLevel: 'INFO' } },
        },
      ],
    });
  });

  afterAll(async () => {
    await agent?.stop();
    killAll(`--port ${webPort}`);
  });

  it('starts a service with POST operation: 207, one item per service in order, an unknown one 404', async () => {
    const { status, body } = await sma('POST', '/api/v2/system/operation', 'post /system/operation', [
      { apiVersion: 'v2', serviceName: 'web', action: 'start' },
      { apiVersion: 'v2', serviceName: 'ghost', action: 'stop' },
    ]);
    expect(status).toBe(207);
    expect((body as Item[]).map((i) => [i.serviceName, i.statusCode])).toEqual([
      ['web', 200],
      ['ghost', 404],
    ]);
    await waitFor('web process', () => pidsWithArg(`--port ${webPort}`).length === 1);
  });

  it('reports health, metrics and config of ?services=a,b, also under /api/v3', async () => {
    const health = await waitFor('web healthy', async () => {
      const { body } = await sma('GET', '/api/v2/system/health?services=web,ghost', 'get /system/health');
      return (body as Item[])[0].statusCode === 200 && (body as Item[]);
    });
    expect(health.map((i) => [i.serviceName, i.statusCode])).toEqual([
      ['web', 200],
      ['ghost', 404],
    ]);
    const metrics = (await sma('GET', '/api/v3/system/metrics?services=web', 'get /system/metrics')).body as Item[];
    expect(metrics[0]).toMatchObject({ apiVersion: 'v3', statusCode: 200, serviceName: 'web' });
    expect(metrics[0].metrics?.memoryUsed).toBeGreaterThan(0);
    const config = (await sma('GET', '/api/v2/system/config?services=web,ghost', 'get /system/config')).body as Item[];
    expect(config.map((i) => [i.serviceName, i.statusCode, i.config])).toEqual([
      ['web', 200, { Writable: { LogLevel: 'INFO' } }],
      ['ghost', 404, undefined],
    ]);
  });

  it('stops it again: the health item says 503 with why', async () => {
    const { body } = await sma('POST', '/api/v3/system/operation', 'post /system/operation', [{ apiVersion: 'v3', serviceName: 'web', action: 'stop' }]);
    expect((body as Item[])[0].statusCode).toBe(200);
    await waitFor('web process gone', () => pidsWithArg(`--port ${webPort}`).length === 0);
    const down = await waitFor('web unhealthy', async () => {
      const items = (await sma('GET', '/api/v2/system/health?services=web', 'get /system/health')).body as Item[];
      return items[0].statusCode === 503 && items[0];
    });
    expect(down.message).toBeTruthy();
  });

  it('answers ping, version, config and metrics of the agent itself', async () => {
    for (const v of ['v2', 'v3']) {
      expect((await sma('GET', `/api/${v}/ping`, 'get /ping')).body).toMatchObject({ apiVersion: v });
      expect((await sma('GET', `/api/${v}/version`, 'get /version')).body).toMatchObject({ apiVersion: v, version: expect.any(String) });
      expect((await sma('GET', `/api/${v}/config`, 'get /config')).body).toMatchObject({ config: { agent: { id: 'test-agent' } } });
      const m = (await sma('GET', `/api/${v}/metrics`, 'get /metrics')).body as { metrics: Record<string, number> };
      expect(m.metrics.memSys).toBeGreaterThan(0);
    }
  });

  it('refuses bad requests with 400 in the ErrorResponse shape', async () => {
    expect((await sma('GET', '/api/v2/system/health', 'get /system/health')).status).toBe(400);
    expect((await sma('GET', '/api/v2/system/metrics?services=Not%20A%20Name', 'get /system/metrics')).status).toBe(400);
    expect((await sma('POST', '/api/v2/system/operation', 'post /system/operation', [{ serviceName: 'web', action: 'explode' }])).status).toBe(400);
    expect((await sma('POST', '/api/v2/system/operation', 'post /system/operation', '[{')).status).toBe(400);
    // Well-formed, but over the 64 KiB every inbound payload is held to.
    const big = Array.from({ length: 700 }, () => ({ apiVersion: 'v2', requestId: 'r'.repeat(60), serviceName: 'ghost', action: 'stop' }));
    expect(JSON.stringify(big).length).toBeGreaterThan(64 * 1024);
    const refused = await sma('POST', '/api/v2/system/operation', 'post /system/operation', big);
    expect(refused.status).toBe(400);
    expect((refused.body as { message: string }).message).toMatch(/over 65536 bytes/);
  });
});
