// Topic parsing under the root (CONTRACT section 5), table-driven.
import { describe, expect, it } from 'vitest';
import { Topics } from '../../src/mqtt/topics.js';
import { codecFor } from '../../src/mqtt/codec.js';
import { mergeConfig } from '../../src/operations/config-merge.js';

const t = new Topics('sma/gw1');

describe('Topics.parse', () => {
  it.each([
    ['sma/gw1/request/services.list', { kind: 'request', op: 'services.list' }],
    ['sma/gw1/heartbeat/service/core-data', { kind: 'service-heartbeat', name: 'core-data' }],
    ['sma/gw1/heartbeat/device/dev-17', { kind: 'device-heartbeat', deviceId: 'dev-17' }],
    ['sma/gw1/plugin/modbus/devices', { kind: 'plugin-devices', plugin: 'modbus' }],
    ['sma/gw1/plugin/modbus/trust', { kind: 'plugin-trust', plugin: 'modbus' }],
    ['sma/gw1/request/', { kind: 'unknown' }],
    ['sma/gw1/request/a/b', { kind: 'unknown' }],
    ['sma/gw2/request/services.list', { kind: 'unknown' }],
    ['sma/gw1/heartbeat/other/x', { kind: 'unknown' }],
    ['sma/gw1/plugin/modbus/reregister', { kind: 'unknown' }],
    ['sma/gw1', { kind: 'unknown' }],
  ])('%s', (topic, expected) => {
    expect(t.parse(topic)).toEqual(expected);
  });

  it('builds outbound topics', () => {
    expect(t.serviceEvent('x')).toBe('sma/gw1/event/service/x');
    expect(t.trustEvent('d')).toBe('sma/gw1/event/trust/d');
    expect(t.reregister('p')).toBe('sma/gw1/plugin/p/reregister');
    expect(t.status).toBe('sma/gw1/status');
  });
});

describe('codecFor', () => {
  it('picks JSON by default and CBOR when asked, nothing for the unknown', () => {
    expect(codecFor(undefined)?.contentType).toBe('application/json');
    expect(codecFor('application/cbor')?.contentType).toBe('application/cbor');
    expect(codecFor('text/html')).toBeUndefined();
    const cbor = codecFor('application/cbor')!;
    expect(cbor.decode(cbor.encode({ a: [1, 'x'] }))).toEqual({ a: [1, 'x'] });
  });
});

describe('mergeConfig', () => {
  it.each([
    [{ a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    [{ a: { x: 1, y: 2 } }, { a: { y: 3 } }, { a: { x: 1, y: 3 } }],
    [{ a: 1, b: 2 }, { a: null }, { b: 2 }],
    [{ a: [1, 2] }, { a: [3] }, { a: [3] }],
    [{ a: { x: 1 } }, { a: 5 }, { a: 5 }],
  ])('%j + %j', (base, patch, expected) => {
    expect(mergeConfig(base, patch)).toEqual(expected);
  });
});
