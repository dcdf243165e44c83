// The authorization policy, reply routing, the broker ACL matcher and the address rules, table-driven.
import { describe, expect, it } from 'vitest';
import { AuthorizationPolicy, mayDecideStart } from '../../src/policy/authorization.js';
import { ReplyRouting } from '../../src/policy/reply-routing.js';
import { isLoopback } from '../../src/policy/loopback.js';
import { checkUrlRefusal } from '../../src/policy/check-url.js';
import { embeddedBrokerPlan } from '../../src/policy/transport-rules.js';
import { aclFor, filterCovers } from '../../src/mqtt/broker-acl.js';
import type { Principal } from '../../src/policy/principal.js';

const op: Principal = { role: 'operator', username: 'op' };
const svc: Principal = { role: 'service', username: 'svc' };
const dev: Principal = { role: 'device', username: 'dev1' };
const policy = new AuthorizationPolicy({ allowedCheckHosts: ['db.local'], serviceRoot: 'edgex/v4' });

describe('AuthorizationPolicy', () => {
  it.each([
    [op, 'services.stop', { names: ['x'] }, true],
    [op, 'registry.register', { name: 'x', check: { type: 'none' }, start: { command: '/bin/true' } }, true],
    [svc, 'registry.register', { name: 'svc', check: { type: 'none' } }, true],
    [svc, 'registry.register', { name: 'svc', check: { type: 'none' }, start: { command: '/bin/true' } }, false],
    [svc, 'registry.register', { name: 'svc-other', check: { type: 'none' } }, false],
    [svc, 'registry.deregister', { name: 'svc' }, true],
    [svc, 'registry.deregister', { name: 'sv' }, false],
    [svc, 'services.health', { names: ['svc'] }, true],
    [svc, 'services.health', {}, false],
    [svc, 'services.health', { names: ['svc', 'other'] }, false],
    [svc, 'services.stop', { names: ['svc'] }, false],
    [svc, 'config.set', { name: 'svc', config: {} }, false],
    [dev, 'agent.info', {}, false],
    [svc, 'kv.get', { key: 'edgex/v4/svc' }, true],
    [svc, 'kv.get', { key: 'edgex/v4/svc/Writable/LogLevel' }, true],
    [svc, 'kv.put', { key: 'edgex/v4/svc/Writable', value: { LogLevel: 'INFO' }, flatten: true }, true],
    [svc, 'kv.get', { key: 'edgex/v4/core-common-config-bootstrapper/all-services' }, true],
    [svc, 'kv.put', { key: 'edgex/v4/core-common-config-bootstrapper/all-services/x', value: 1 }, false],
    [svc, 'kv.get', { key: 'edgex/v4/svc-other/Writable' }, false],
    [svc, 'kv.get', { key: 'edgex/v4' }, false],
    [svc, 'kv.get', { key: 'edgex/v3/svc' }, false],
    [svc, 'kv.put', { key: 'edgex/v4/svc-other/Writable/LogLevel', value: 'DEBUG' }, false],
    [svc, 'kv.delete', { key: 'edgex/v4/svc/Writable' }, false],
    [op, 'registry.register', { name: 'x', check: { type: 'http', url: 'http://10.0.0.1/' } }, false],
    [op, 'registry.register', { name: 'x', check: { type: 'http', url: 'http://db.local:8/' } }, true],
  ] as const)('%o %s %o -> %s', (p, operation, body, allowed) => {
    expect(policy.commandRefusal(p, operation, body) === undefined).toBe(allowed);
  });

  it.each([
    [dev, 'device-heartbeat', 'dev1', true],
    [dev, 'device-heartbeat', 'dev2', false],
    [svc, 'device-heartbeat', 'svc', false],
    [svc, 'service-heartbeat', 'svc', true],
    [svc, 'service-heartbeat', 'svc-other', false],
    [svc, 'plugin-devices', 'svc-other', false],
    [dev, 'plugin-trust', 'dev1', false],
    [op, 'plugin-devices', 'any', true],
  ] as const)('mayPost %o %s %s -> %s', (p, kind, subject, allowed) => {
    expect(policy.mayPost(p, kind, subject)).toBe(allowed);
  });

  it('leaves the start command to operators', () => {
    expect([op, svc, dev].map(mayDecideStart)).toEqual([true, false, false]);
  });
});

describe('ReplyRouting', () => {
  const routing = new ReplyRouting({ root: 'sma/gw', mayRead: (p, t) => p.role === 'operator' || t.startsWith(`sma/gw/response/${p.username}/`) });
  it.each([
    [op, undefined, 'c1', 'sma/gw/response/c1', false],
    [svc, undefined, 'c1', 'sma/gw/response/svc/c1', false],
    [svc, undefined, undefined, 'sma/gw/response/svc/unknown', false],
    [op, 'client/inbox', 'c1', 'client/inbox', false],
    [op, 'sma/gw/response/other', 'c1', 'sma/gw/response/other', false],
    [op, 'sma/gw/response/svc/c1', 'c1', 'sma/gw/response/c1', true],
    [op, 'sma/gw/heartbeat/device/ghost', 'c1', 'sma/gw/response/c1', true],
    [op, 'sma/gw/request/agent.info', 'c1', 'sma/gw/response/c1', true],
    [op, 'sma/gw', 'c1', 'sma/gw/response/c1', true],
    [op, 'sma/gw/response/+', 'c1', 'sma/gw/response/c1', true],
    [op, '$SYS/x', 'c1', 'sma/gw/response/c1', true],
    [op, '', 'c1', 'sma/gw/response/c1', true],
    [svc, 'sma/gw/response/svc/x', 'c1', 'sma/gw/response/svc/x', false],
    [svc, 'sma/gw/response/svc-other/x', 'c1', 'sma/gw/response/svc/c1', true],
    [svc, 'elsewhere', 'c1', 'sma/gw/response/svc/c1', true],
    // Not the agent's tree, but a sibling whose name starts like it.
    [op, 'sma/gwx/request/a', 'c1', 'sma/gwx/request/a', false],
  ] as const)('%o asks %s (%s) -> %s, refused %s', (p, requested, cid, topic, refused) => {
    const route = routing.route(p, requested, cid);
    expect(route.topic).toBe(topic);
    expect(route.refusal !== undefined).toBe(refused);
  });
});

describe('broker ACL', () => {
  it.each([
    ['a/#', 'a/b/c', true],
    ['a/#', 'a/#', true],
    ['a/#', 'a/+', true],
    ['a/+', 'a/#', false],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/+', false],
    ['a/+/c', 'a/b/c', true],
    ['a/svc/#', 'a/svc-other/#', false],
  ])('%s covers %s: %s', (allowed, requested, covers) => {
    expect(filterCovers(allowed, requested)).toBe(covers);
  });

  it('matches exactly, never by prefix', () => {
    const acl = aclFor(svc, 'sma/gw');
    expect(acl.mayPublish('sma/gw/heartbeat/service/svc')).toBe(true);
    expect(acl.mayPublish('sma/gw/heartbeat/service/svc-other')).toBe(false);
    expect(acl.mayPublish('sma/gw/heartbeat/service/svc/x')).toBe(false);
    expect(acl.mayPublish('sma/gw/request/services.stop')).toBe(false);
    expect(acl.maySubscribe('sma/gw/response/svc-other/#')).toBe(false);
    expect(acl.maySubscribe('sma/gw/response/svc/#')).toBe(false);
    expect(acl.maySubscribe('sma/gw/response/svc/+')).toBe(true);
    expect(acl.maySubscribe('sma/gw/response/svc/c1')).toBe(true);
    expect(aclFor(dev, 'sma/gw').maySubscribe('sma/gw/response/dev1/#')).toBe(false);
    expect(aclFor(op, 'sma/gw').maySubscribe('sma/+/status')).toBe(true);
    expect(aclFor(op, 'sma/gw').mayPublish('sma/gw/status')).toBe(false);
  });
});

describe('addresses', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['127.example.com', false],
    ['0.0.0.0', false],
    ['::', false],
    ['192.0.2.1', false],
    ['localhost.evil.com', false],
  ])('%s is loopback: %s', (host, loop) => {
    expect(isLoopback(host)).toBe(loop);
  });

  it.each([
    ['http://127.0.0.1:8080/health', undefined],
    ['https://[::1]/h', undefined],
    ['http://db.local/h', undefined],
    ['http://DB.LOCAL/h', undefined],
    ['file:///etc/passwd', /scheme/],
    ['gopher://127.0.0.1/', /scheme/],
    ['http://u:p@127.0.0.1/', /credentials/],
    ['http://10.1.1.1/', /not loopback/],
    ['http://127.example.com/', /not loopback/],
  ])('check URL %s', (url, refusal) => {
    const got = checkUrlRefusal(url, ['db.local']);
    if (refusal) expect(got).toMatch(refusal);
    else expect(got).toBeUndefined();
  });

  it('plans the embedded broker’s listeners', () => {
    expect(embeddedBrokerPlan({ host: '127.0.0.1', users: 0, tls: false }, false)).toMatchObject({ errors: [], plainHost: '127.0.0.1' });
    expect(embeddedBrokerPlan({ host: '0.0.0.0', users: 0, tls: true }, false).errors).toHaveLength(1);
    expect(embeddedBrokerPlan({ host: '0.0.0.0', users: 1, tls: false }, false).errors).toHaveLength(1);
    expect(embeddedBrokerPlan({ host: '0.0.0.0', users: 1, tls: true }, false)).toMatchObject({ errors: [], plainHost: '127.0.0.1' });
    expect(embeddedBrokerPlan({ host: '::', users: 1, tls: true }, false)).toMatchObject({ errors: [], plainHost: '::1' });
    expect(embeddedBrokerPlan({ host: '0.0.0.0', users: 1, tls: false }, true)).toMatchObject({ errors: [], plainHost: '0.0.0.0', warnings: [expect.any(String)] });
  });
});
