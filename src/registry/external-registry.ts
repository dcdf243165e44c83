// What an external registry (etcd, Consul) offers beyond the Registry port: a reachability probe.
// Providers report a lost backend as SmaError UNAVAILABLE; FallbackRegistry switches on exactly that.
import type { Registry } from './registry.js';

export interface ExternalRegistry extends Registry {
  /** Resolves when the backend answers within the provider's call timeout; rejects (UNAVAILABLE) otherwise. */
  ping(): Promise<void>;
}
