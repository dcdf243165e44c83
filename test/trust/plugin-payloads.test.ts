import { describe, expect, it } from 'vitest';
import { isValidDeviceId, parseDeviceHeartbeat, parseDeviceSet, parseTrustReport } from '../../src/trust/plugin-payloads.js';

const longId = 'x'.repeat(129);
const idOf128Bytes = 'é'.repeat(64); // 2 bytes each in UTF-8
const idOf130Bytes = 'é'.repeat(65);

describe('device ids', () => {
  it.each([
    ['sensor-1', true],
    ['x'.repeat(128), true],
    [idOf128Bytes, true],
    ['', false],
    [longId, false],
    [idOf130Bytes, false],
    ['€'.repeat(43), false], // 43 characters, 129 bytes
    ['a/b', false],
    ['a+b', false],
    ['a#', false],
    ['a\u0000b', false],
  ])('%j valid: %s', (id, valid) => {
    expect(isValidDeviceId(id)).toBe(valid);
  });
});

describe('parseDeviceSet', () => {
  it('accepts a set with and without properties', () => {
    const parsed = parseDeviceSet({ devices: [{ id: 'a' }, { id: 'b', properties: { room: 3, tags: ['x'] } }] });
    expect(parsed).toEqual({ ok: true, value: { devices: [{ id: 'a' }, { id: 'b', properties: { room: 3, tags: ['x'] } }] } });
    expect(parseDeviceSet({ devices: [] })).toEqual({ ok: true, value: { devices: [] } });
  });

  it.each([
    ['not an object', 'garbage'],
    ['null', null],
    ['no devices', {}],
    ['devices not an array', { devices: { id: 'a' } }],
    ['an id that is a number', { devices: [{ id: 7 }] }],
    ['an empty id', { devices: [{ id: '' }] }],
    ['an id over 128 bytes', { devices: [{ id: longId }] }],
    ['an id with a topic separator', { devices: [{ id: 'a/b' }] }],
    ['properties that are not an object', { devices: [{ id: 'a', properties: 'p' }] }],
  ])('refuses %s, saying where', (_, body) => {
    const parsed = parseDeviceSet(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.length).toBeGreaterThan(0);
  });

  it('names the bad entry', () => {
    const parsed = parseDeviceSet({ devices: [{ id: 'ok' }, { id: longId }] });
    expect(parsed).toMatchObject({ ok: false, error: expect.stringContaining('devices.1.id') });
  });
});

describe('parseTrustReport', () => {
  it('accepts levels for devices', () => {
    expect(parseTrustReport([{ deviceId: 'a', trustLevel: 'NONE' }, { deviceId: 'b', trustLevel: 'COMPLETE' }])).toEqual({
      ok: true,
      value: [
        { deviceId: 'a', trustLevel: 'NONE' },
        { deviceId: 'b', trustLevel: 'COMPLETE' },
      ],
    });
  });

  it.each([
    ['an object instead of a list', { deviceId: 'a', trustLevel: 'NONE' }],
    ['an unknown level', [{ deviceId: 'a', trustLevel: 'PARTIAL' }]],
    ['a lower-case level', [{ deviceId: 'a', trustLevel: 'none' }]],
    ['no device id', [{ trustLevel: 'NONE' }]],
    ['a device id over 128 bytes', [{ deviceId: longId, trustLevel: 'NONE' }]],
    ['a string', '[{"deviceId":"a"'],
  ])('refuses %s', (_, body) => {
    expect(parseTrustReport(body).ok).toBe(false);
  });
});

describe('parseDeviceHeartbeat', () => {
  it('takes any payload as a heartbeat, and a JSON plugin as the tie', () => {
    expect(parseDeviceHeartbeat('d1', Buffer.alloc(0))).toEqual({ ok: true, value: {} });
    expect(parseDeviceHeartbeat('d1', Buffer.from([0xff, 0x00, 0x13]))).toEqual({ ok: true, value: {} });
    expect(parseDeviceHeartbeat('d1', 'alive')).toEqual({ ok: true, value: {} });
    expect(parseDeviceHeartbeat('d1', '{not json')).toEqual({ ok: true, value: {} });
    expect(parseDeviceHeartbeat('d1', '{"battery": 80}')).toEqual({ ok: true, value: {} });
    expect(parseDeviceHeartbeat('d1', Buffer.from('{"plugin":"dmi-1"}'))).toEqual({ ok: true, value: { plugin: 'dmi-1' } });
  });

  it('refuses a bad plugin name and a bad device id', () => {
    expect(parseDeviceHeartbeat('d1', '{"plugin": 3}').ok).toBe(false);
    expect(parseDeviceHeartbeat('d1', '{"plugin": "Bad Name"}').ok).toBe(false);
    expect(parseDeviceHeartbeat(longId, '').ok).toBe(false);
    expect(parseDeviceHeartbeat('', '').ok).toBe(false);
  });
});
