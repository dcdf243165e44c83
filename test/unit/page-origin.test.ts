// The status page's browser guards and its operator rule, as pure functions (the page's e2e test drives them
// through a real browser and raw requests).
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { hostAllowed, isLoopbackHost, ownPageRequest } from '../../src/http/page-origin.js';
import { isOperator } from '../../src/http/status-page.js';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('status page guards', () => {
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
  ])('isLoopbackHost(%s) is %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('on a loopback listener, serves only loopback Host names (with or without a port)', () => {
    expect(hostAllowed(req({ host: '127.0.0.1:48090' }), true)).toBe(true);
    expect(hostAllowed(req({ host: 'localhost' }), true)).toBe(true);
    expect(hostAllowed(req({ host: '[::1]:48090' }), true)).toBe(true);
    expect(hostAllowed(req({ host: 'rebound.evil.example:48090' }), true)).toBe(false);
    expect(hostAllowed(req({}), true)).toBe(false);
    // Elsewhere users and TLS stand guard, and the gateway's name is not known in advance.
    expect(hostAllowed(req({ host: 'gw-7.example:48090' }), false)).toBe(true);
  });

  it('takes an operation only as JSON and, when the browser names an origin, from its own', () => {
    const host = '127.0.0.1:48090';
    expect(ownPageRequest(req({ host, 'content-type': 'application/json', origin: `http://${host}` }))).toBe(true);
    expect(ownPageRequest(req({ host, 'content-type': 'application/json; charset=utf-8' }))).toBe(true);
    expect(ownPageRequest(req({ host, 'content-type': 'text/plain', origin: `http://${host}` }))).toBe(false);
    expect(ownPageRequest(req({ host, 'content-type': 'application/json', origin: 'http://evil.example' }))).toBe(false);
    expect(ownPageRequest(req({ host, 'content-type': 'application/json', origin: 'null' }))).toBe(false);
    expect(ownPageRequest(req({ host }))).toBe(false);
  });

  it('lets only an operator operate: anyone on a loopback listener without users, else the operator role', () => {
    expect(isOperator(undefined, true)).toBe(true);
    expect(isOperator(undefined, false)).toBe(false);
    expect(isOperator({ role: 'operator', username: 'op' }, false)).toBe(true);
    expect(isOperator({ role: 'service', username: 'svc' }, true)).toBe(false);
    expect(isOperator({ role: 'device', username: 'd1' }, true)).toBe(false);
  });
});
