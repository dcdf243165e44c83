import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { toCloudEvent } from '../../src/trust/cloud-event.js';
import { newPrefix, TrustOutbox } from '../../src/trust/trust-outbox.js';
import type { Section } from '../../src/store/store.js';

/** RFC 9562: version 8 (custom), variant 10xx. */
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('toCloudEvent', () => {
  it('shapes a level change as a CloudEvents 1.0 attribute-value-change event, with the id decided with it', () => {
    const at = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const ce = toCloudEvent({ kind: 'trust', id: 'ev-1', deviceId: 'cam-7', from: 'COMPLETE', to: 'NONE', reason: 'HEARTBEAT_TIMEOUT', at }, 'gw-1');
    expect(ce).toEqual({
      specversion: '1.0',
      id: 'ev-1',
      source: 'sma-bridge/gw-1',
      type: 'sma.trustlevel.changed',
      time: '2024-01-02T03:04:05.678Z',
      subject: 'cam-7',
      data: {
        attributeValueChange: [{ attributeName: 'trustLevel', oldAttributeValue: 'COMPLETE', newAttributeValue: 'NONE' }],
        reason: 'HEARTBEAT_TIMEOUT',
      },
    });
    expect(JSON.parse(JSON.stringify(ce))).toEqual(ce);
  });

  it('leaves out the old value when there is none', () => {
    const a = toCloudEvent({ kind: 'trust', id: 'x', deviceId: 'd', to: 'COMPLETE', reason: 'REREGISTERED', at: 0 }, 'x');
    expect(a.data.attributeValueChange[0]).toEqual({ attributeName: 'trustLevel', newAttributeValue: 'COMPLETE' });
    expect('oldAttributeValue' in a.data.attributeValueChange[0]).toBe(false);
  });
});

describe('outbox event ids', () => {
  const section = {} as Section<unknown>; // ids need no store
  it('are UUIDs (version 8) made of a prefix per data directory and a sequence number, each one different', () => {
    const outbox = new TrustOutbox(section, pino({ level: 'silent' }));
    const ids = [1, 2, 0xffffffffffff].map((seq) => outbox.idOf(seq));
    for (const id of ids) expect(id).toMatch(UUID_V8);
    expect(new Set(ids).size).toBe(3);
    expect(ids[0].endsWith('000000000001')).toBe(true);
    expect(newPrefix()).not.toBe(newPrefix());
  });
});
