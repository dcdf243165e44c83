// Issue 13 item 5: the HTTP front to the broker's rules. Loopback needs no login; any other address needs
// users and TLS (or an explicit allowPlaintext); with users, every request authenticates (Basic or Bearer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { hashPassword } from '../../src/security/password-hash.js';
import { startAgent, tempDir, type AgentProcess } from '../support/agent-process.js';
import { makeCertificates } from '../support/test-ca.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function users(): Promise<unknown[]> {
  return [
    { username: 'ops', passwordHash: await hashPassword('ops-secret', CHEAP), role: 'operator' },
    { username: 'core-data', tokenHash: await hashPassword('core-data-token', CHEAP), role: 'service' },
  ];
}

describe('HTTP front security', () => {
  it('refuses to start on a non-loopback address without users', async () => {
    await expect(startAgent({ http: { host: '0.0.0.0', port: 0 } })).rejects.toThrow(/http\.host: 0\.0\.0\.0 is not loopback; configure http\.users/);
  });

  it('refuses to start with users on a non-loopback address without TLS or allowPlaintext', async () => {
    await expect(startAgent({ http: { host: '0.0.0.0', port: 0, users: await users() } })).rejects.toThrow(/configure http\.cert and http\.key or set http\.allowPlaintext/);
  });

  describe('with users and allowPlaintext (logged as insecure)', () => {
    let agent: AgentProcess;
    let url: string;
    beforeAll(async () => {
      agent = await startAgent({ http: { host: '0.0.0.0', port: 0, users: await users(), allowPlaintext: true } });
      url = `http://127.0.0.1:${agent.httpPort}/api/v3/registry/all`;
    });
    afterAll(() => agent?.stop());

    it('logs the plaintext listener loudly', () => {
      expect(agent.logs().some((l) => l.insecure === true && String(l.msg).includes('http.allowPlaintext'))).toBe(true);
    });

    it('answers 401 without credentials, with a wrong password, a wrong token or an unknown user', async () => {
      for (const authorization of [undefined, basic('ops', 'wrong'), basic('nobody', 'ops-secret'), 'Bearer not-the-token', 'Bearer ', basic('core-data', 'core-data-token')]) {
        const res = await fetch(url, { headers: authorization ? { authorization } : {} });
        expect(res.status, String(authorization)).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/Basic/);
      }
    });

    it('gives a service only its own registration; operations and KV writes are an operator\'s', async () => {
      const as = (authorization: string, method: string, path: string, body?: unknown) =>
        fetch(`http://127.0.0.1:${agent.httpPort}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const svc = 'Bearer core-data-token';
      const ops = basic('ops', 'ops-secret');
      const registration = (serviceId: string) => ({ apiVersion: 'v3', registration: { serviceId, host: '127.0.0.1', port: 59880, healthCheck: { type: 'http', path: '/api/v3/ping', interval: '10s' } } });
      expect((await as(svc, 'GET', '/api/v3/registry/serviceId/core-data')).status).toBe(404);
      expect((await as(svc, 'POST', '/api/v3/registry', registration('core-data'))).status).toBe(201);
      expect((await as(svc, 'GET', '/api/v3/registry/serviceId/core-data')).status).toBe(200);
      expect((await as(svc, 'POST', '/api/v3/registry', registration('core-metadata'))).status).toBe(403);
      expect((await as(svc, 'GET', '/api/v3/registry/serviceId/core-metadata')).status).toBe(403);
      expect((await as(svc, 'GET', '/api/v3/registry/all')).status).toBe(403);
      // Its own configuration keys a service reads and writes (EdgeX's keeper client pushes its defaults);
      // another service's keys it may not touch, and the common configuration it may only read.
      expect((await as(svc, 'PUT', '/api/v3/kvs/key/edgex/v4/core-data/Writable/LogLevel', { value: 'INFO' })).status).toBe(200);
      expect((await as(svc, 'GET', '/api/v3/kvs/key/edgex/v4/core-data?plaintext=true')).status).toBe(200);
      expect((await as(svc, 'PUT', '/api/v3/kvs/key/edgex/v4/core-metadata/Writable/LogLevel', { value: 'DEBUG' })).status).toBe(403);
      expect((await as(ops, 'PUT', '/api/v3/kvs/key/edgex/v4/core-common-config-bootstrapper/all-services/Writable/LogLevel', { value: 'INFO' })).status).toBe(200);
      expect((await as(svc, 'GET', '/api/v3/kvs/key/edgex/v4/core-common-config-bootstrapper/all-services?plaintext=true')).status).toBe(200);
      expect((await as(svc, 'PUT', '/api/v3/kvs/key/edgex/v4/core-common-config-bootstrapper/all-services/Writable/LogLevel', { value: 'DEBUG' })).status).toBe(403);
      expect((await as(svc, 'GET', '/api/v3/kvs/key/edgex/v4?keyOnly=true')).status).toBe(403);
      expect((await as(svc, 'DELETE', '/api/v3/kvs/key/edgex/v4/core-data/Writable/LogLevel')).status).toBe(403);
      const op = (await (await as(svc, 'POST', '/api/v2/system/operation', [{ apiVersion: 'v2', serviceName: 'core-data', action: 'stop' }])).json()) as Array<{ statusCode: number }>;
      expect(op[0].statusCode).toBe(403);
      expect((await as(ops, 'PUT', '/api/v3/kvs/key/edgex/v4/core-data/Writable/LogLevel', { value: 'DEBUG' })).status).toBe(200);
      expect((await as(ops, 'POST', '/api/v3/registry', registration('core-metadata'))).status).toBe(201);
      expect((await as(svc, 'DELETE', '/api/v3/registry/serviceId/core-metadata')).status).toBe(403);
      expect((await as(svc, 'DELETE', '/api/v3/registry/serviceId/core-data')).status).toBe(204);
    });

    it('lets an operator in with Basic and a service with its Bearer token', async () => {
      expect((await fetch(url, { headers: { authorization: basic('ops', 'ops-secret') } })).status).toBe(200);
      // A service may not list every registration, but it is let in (403, not 401).
      expect((await fetch(url, { headers: { authorization: 'Bearer core-data-token' } })).status).toBe(403);
    });
  });

  describe('under a flood of wrong tokens (real scrypt cost)', () => {
    let agent: AgentProcess;
    beforeAll(async () => {
      // Default scrypt parameters: the cost an attacker makes the gateway pay for each guess.
      const tokenUsers = await Promise.all(['device-virtual', 'core-metadata', 'core-command'].map(async (u) => ({ username: u, tokenHash: await hashPassword(`${u}-token`), role: 'service' })));
      agent = await startAgent({ http: { host: '0.0.0.0', port: 0, allowPlaintext: true, users: [...(await users()), ...tokenUsers] } });
    }, 30_000);
    afterAll(() => agent?.stop());

    it('checks a few at a time and turns the rest away with 503, never letting one in; the agent stays usable', async () => {
      const url = `http://127.0.0.1:${agent.httpPort}/api/v3/ping`;
      const ops = basic('ops', 'ops-secret');
      expect((await fetch(url, { headers: { authorization: ops } })).status).toBe(200);
      const flood = await Promise.all(Array.from({ length: 120 }, (_, i) => fetch(url, { headers: { authorization: `Bearer guess-${i}` } }).then((r) => r.status)));
      const counts = flood.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
      expect(Object.keys(counts).sort(), JSON.stringify(counts)).toEqual(['401', '503']);
      expect(counts[503]).toBeGreaterThan(0);
      // A known good header is remembered, so the operator is not queued behind the guesses.
      expect((await fetch(url, { headers: { authorization: ops } })).status).toBe(200);
      expect((await fetch(url, { headers: { authorization: 'Bearer core-command-token' } })).status).toBe(200);
    }, 60_000);
  });

  describe('with users and TLS', () => {
    let agent: AgentProcess;
    let ca: Buffer;
    beforeAll(async () => {
      const certs = makeCertificates(tempDir('sma-http-tls-'));
      ca = readFileSync(certs.ca);
      agent = await startAgent({ http: { host: '0.0.0.0', port: 0, users: await users(), cert: certs.cert, key: certs.key } });
    });
    afterAll(() => agent?.stop());

    const get = (path: string, authorization?: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: agent.httpPort, path, ca, headers: authorization ? { authorization } : {} }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });

    it('serves HTTPS, and still only to a known user', async () => {
      expect(await get('/api/v3/ping')).toBe(401);
      expect(await get('/api/v3/ping', basic('ops', 'ops-secret'))).toBe(200);
      await expect(fetch(`http://127.0.0.1:${agent.httpPort}/api/v3/ping`)).rejects.toThrow();
    });
  });
});
