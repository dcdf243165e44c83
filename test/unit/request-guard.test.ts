// The HTTP front's guard steps as pure functions (test/http/route-attacks.test.ts drives them through the
// agent's real route table, and test/e2e/cross-site-browser.test.ts through a real browser).
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { accessRefusal, correlationIdOf, crossSiteRefusal, hostRefusal } from '../../src/http/request-guard.js';
import { isLoopback } from '../../src/policy/loopback.js';

const req = (headers: Record<string, string>, method = 'POST'): IncomingMessage => ({ headers, method }) as unknown as IncomingMessage;

describe('HTTP request guard', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['127.example.com', false],
    ['192.168.1.7', false],
    ['localhost.evil.example', false],
  ])('isLoopback(%s) is %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });

  it('on a loopback listener, serves only loopback Host names (with or without a port)', () => {
    expect(hostRefusal(req({ host: '127.0.0.1:48090' }), true)).toBeUndefined();
    expect(hostRefusal(req({ host: 'localhost' }), true)).toBeUndefined();
    expect(hostRefusal(req({ host: '[::1]:48090' }), true)).toBeUndefined();
    expect(hostRefusal(req({ host: 'rebound.evil.example:48090' }), true)?.status).toBe(421);
    expect(hostRefusal(req({}), true)?.status).toBe(421);
    // Elsewhere users and TLS stand guard, and the gateway's name is not known in advance.
    expect(hostRefusal(req({ host: 'gw-7.example:48090' }), false)).toBeUndefined();
  });

  it('takes a state change only as JSON and, when the browser names an origin, from its own', () => {
    const host = '127.0.0.1:48090';
    expect(crossSiteRefusal(req({ host, 'content-type': 'application/json', origin: `http://${host}` }))).toBeUndefined();
    expect(crossSiteRefusal(req({ host, 'content-type': 'application/json; charset=utf-8' }))).toBeUndefined();
    expect(crossSiteRefusal(req({ host, 'content-type': 'text/plain', origin: `http://${host}` }))?.status).toBe(415);
    expect(crossSiteRefusal(req({ host, 'content-type': 'application/x-www-form-urlencoded' }))?.status).toBe(415);
    expect(crossSiteRefusal(req({ host, 'content-type': 'application/json', origin: 'http://evil.example' }))?.status).toBe(403);
    expect(crossSiteRefusal(req({ host, 'content-type': 'application/json', origin: 'null' }))?.status).toBe(403);
    expect(crossSiteRefusal(req({ host }))?.status).toBe(415);
    for (const method of ['PUT', 'PATCH']) expect(crossSiteRefusal(req({ host, 'content-type': 'text/plain' }, method))?.status).toBe(415);
  });

  it('lets a bodiless DELETE through without a type (EdgeX Go clients), but not one with a body or a foreign origin', () => {
    const host = '127.0.0.1:48090';
    expect(crossSiteRefusal(req({ host }, 'DELETE'))).toBeUndefined();
    expect(crossSiteRefusal(req({ host, 'content-length': '5', 'content-type': 'text/plain' }, 'DELETE'))?.status).toBe(415);
    expect(crossSiteRefusal(req({ host, origin: 'http://evil.example' }, 'DELETE'))?.status).toBe(403);
  });

  it('leaves reads alone', () => {
    for (const method of ['GET', 'HEAD']) expect(crossSiteRefusal(req({ host: 'x', origin: 'http://evil.example' }, method))).toBeUndefined();
  });

  it('gives operator routes to operators only; caller routes to anyone authenticated', () => {
    expect(accessRefusal('operator', undefined)).toBeUndefined();
    expect(accessRefusal('operator', { role: 'operator', username: 'op' })).toBeUndefined();
    expect(accessRefusal('operator', { role: 'service', username: 'svc' })?.status).toBe(403);
    expect(accessRefusal('operator', { role: 'device', username: 'd1' })?.status).toBe(403);
    expect(accessRefusal('caller', { role: 'device', username: 'd1' })).toBeUndefined();
  });

  it('echoes a sane X-Correlation-ID and replaces anything else', () => {
    const fresh = () => 'new-id';
    expect(correlationIdOf(req({ 'x-correlation-id': '3f9c-11' }), fresh)).toBe('3f9c-11');
    expect(correlationIdOf(req({}), fresh)).toBe('new-id');
    expect(correlationIdOf(req({ 'x-correlation-id': 'a b<script>' }), fresh)).toBe('new-id');
    expect(correlationIdOf(req({ 'x-correlation-id': 'x'.repeat(200) }), fresh)).toBe('new-id');
  });
});
