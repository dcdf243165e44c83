import { describe, expect, it } from 'vitest';
import { toCloudEvent } from '../../src/trust/cloud-event.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('toCloudEvent', () => {
  it('shapes a level change as a CloudEvents 1.0 attribute-value-change event', () => {
    const at = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const ce = toCloudEvent({ kind: 'trust', deviceId: 'cam-7', from: 'COMPLETE', to: 'NONE', reason: 'HEARTBEAT_TIMEOUT', at }, 'gw-1');
    expect(ce).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(UUID),
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

  it('leaves out the old value when there is none, and gives every event its own id', () => {
    const event = { kind: 'trust' as const, deviceId: 'd', to: 'COMPLETE' as const, reason: 'REREGISTERED' as const, at: 0 };
    const a = toCloudEvent(event, 'x');
    const b = toCloudEvent(event, 'x');
    expect(a.data.attributeValueChange[0]).toEqual({ attributeName: 'trustLevel', newAttributeValue: 'COMPLETE' });
    expect('oldAttributeValue' in a.data.attributeValueChange[0]).toBe(false);
    expect(a.id).not.toBe(b.id);
  });
});
