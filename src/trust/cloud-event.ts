// A trust event as a CloudEvents 1.0 structured-mode JSON object, shaped after ONAP NCMP's
// attribute-value-change events (CONTRACT section 5). The MQTT front publishes it on R/event/trust/{id}.
import type { TrustEvent, TrustReason } from '../events.js';
import type { TrustLevel } from '../model.js';

export const TRUST_EVENT_TYPE = 'sma.trustlevel.changed';

export interface TrustAttributeChange {
  attributeName: 'trustLevel';
  oldAttributeValue?: TrustLevel;
  newAttributeValue: TrustLevel;
}

export interface TrustCloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: typeof TRUST_EVENT_TYPE;
  time: string;
  subject: string;
  data: { attributeValueChange: TrustAttributeChange[]; reason: TrustReason };
}

export function toCloudEvent(event: TrustEvent, agentId: string): TrustCloudEvent {
  const change: TrustAttributeChange =
    event.from === undefined
      ? { attributeName: 'trustLevel', newAttributeValue: event.to }
      : { attributeName: 'trustLevel', oldAttributeValue: event.from, newAttributeValue: event.to };
  return {
    specversion: '1.0',
    id: event.id,
    source: `sma-bridge/${agentId}`,
    type: TRUST_EVENT_TYPE,
    time: new Date(event.at).toISOString(),
    subject: event.deviceId,
    data: { attributeValueChange: [change], reason: event.reason },
  };
}
