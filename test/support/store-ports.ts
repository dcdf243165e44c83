// The ports of the operations over a real store, for tests that drive the inbox in-process (without the agent's
// bin): key-values under `edgex/v4`, no devices unless given, a fresh event bus unless given, and a self whose
// stop and restart do nothing unless the test records them.
import type { Clock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import type { DeployControl, Ports, SelfControl } from '../../src/operations/ports.js';
import { StoreKeyValues } from '../../src/registry/kv-store.js';
import type { Registry } from '../../src/registry/registry.js';
import type { Store } from '../../src/store/store.js';
import type { ServiceControl } from '../../src/supervisor/service-control.js';
import { noDevices, type TrustQuery } from '../../src/trust/trust-query.js';

export interface StorePortsOptions {
  store: Store;
  registry: Registry;
  services: ServiceControl;
  clock: Clock;
  agentId?: string;
  version?: string;
  events?: EventBus;
  trust?: TrustQuery;
  deploy?: DeployControl;
  self?: Partial<SelfControl>;
}

export function storePorts(o: StorePortsOptions): Ports {
  const agentId = o.agentId ?? 'agent';
  return {
    registry: o.registry,
    kv: new StoreKeyValues(o.store, 'edgex/v4'),
    services: o.services,
    trust: o.trust ?? noDevices,
    events: o.events ?? new EventBus(),
    clock: o.clock,
    self: { name: agentId, stop: async () => {}, restart: async () => {}, ...o.self },
    agent: { agentId, version: o.version ?? '0', startedAt: o.clock.now() },
    ...(o.deploy && { deploy: o.deploy }),
  };
}
