// The registry contract's harness (test/registry/registry-contract.ts) for a provider whose data lives in a
// server (Consul, etcd, a Keeper): a restart is a new client over the same server; cleanup closes the client
// and then removes what the server holds.
import type { RegistryKind } from '../../src/model.js';
import type { Registry } from '../../src/registry/registry.js';
import type { RegistryHarness } from '../registry/registry-contract.js';

export function remoteRegistryHarness(kind: RegistryKind, connect: () => Registry, removeData: () => Promise<unknown>): RegistryHarness {
  let current: Registry | undefined;
  const open = async () => (current = connect());
  return {
    kind,
    open,
    async reopen() {
      await current?.close();
      return open();
    },
    async cleanup() {
      await current?.close();
      await removeData();
    },
  };
}
