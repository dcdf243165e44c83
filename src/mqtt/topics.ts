// The topic tree under the root R (CONTRACT section 5): building and parsing, nothing else.
export type InboundTopic =
  | { kind: 'request'; op: string }
  | { kind: 'service-heartbeat'; name: string }
  | { kind: 'device-heartbeat'; deviceId: string }
  | { kind: 'plugin-devices'; plugin: string }
  | { kind: 'plugin-trust'; plugin: string }
  | { kind: 'unknown' };

export class Topics {
  readonly status: string;
  readonly subscriptions: string[];
  private readonly prefix: string;

  constructor(readonly root: string) {
    this.prefix = `${root}/`;
    this.status = `${root}/status`;
    this.subscriptions = [
      `${root}/request/+`,
      `${root}/heartbeat/service/+`,
      `${root}/heartbeat/device/+`,
      `${root}/plugin/+/devices`,
      `${root}/plugin/+/trust`,
    ];
  }

  serviceEvent(name: string): string {
    return `${this.prefix}event/service/${name}`;
  }

  trustEvent(deviceId: string): string {
    return `${this.prefix}event/trust/${deviceId}`;
  }

  /** A service's output (CONTRACT section 16); only operators may subscribe (broker-acl.ts). */
  logEvent(name: string): string {
    return `${this.prefix}event/log/${name}`;
  }

  alertEvent(rule: string, name: string): string {
    return `${this.prefix}event/alert/${rule}/${name}`;
  }

  deployEvent(name: string): string {
    return `${this.prefix}event/deploy/${name}`;
  }

  agentEvent(): string {
    return `${this.prefix}event/agent`;
  }

  reregister(plugin: string): string {
    return `${this.prefix}plugin/${plugin}/reregister`;
  }

  parse(topic: string): InboundTopic {
    if (!topic.startsWith(this.prefix)) return { kind: 'unknown' };
    const parts = topic.slice(this.prefix.length).split('/');
    const [a, b, c] = parts;
    if (parts.length === 2 && a === 'request' && b) return { kind: 'request', op: b };
    if (parts.length === 3 && a === 'heartbeat' && c) {
      if (b === 'service') return { kind: 'service-heartbeat', name: c };
      if (b === 'device') return { kind: 'device-heartbeat', deviceId: c };
    }
    if (parts.length === 3 && a === 'plugin' && b) {
      if (c === 'devices') return { kind: 'plugin-devices', plugin: b };
      if (c === 'trust') return { kind: 'plugin-trust', plugin: b };
    }
    return { kind: 'unknown' };
  }
}
