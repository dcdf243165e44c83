// LwM2M instance ids kept in etcd (`ids/{name}`, counter `meta/next-instance-id`), so every agent and
// every restart on the same prefix agrees on them. Allocated once per name in one transaction.
import { SmaError } from '../errors.js';
import type { Namespace } from 'etcd3';

export const NEXT_ID = 'meta/next-instance-id';
const CAS_ATTEMPTS = 20;

export class EtcdInstanceIds {
  constructor(
    private readonly ns: Namespace,
    /** Runs an etcd call, turning a lost connection into UNAVAILABLE. */
    private readonly call: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  async idOf(name: string): Promise<number> {
    const idKey = `ids/${name}`;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const [known, counter] = await this.call(() => Promise.all([this.ns.get(idKey).string(), this.ns.get(NEXT_ID).exec()]));
      if (known !== null) return Number(known);
      const kv = counter.kvs[0];
      const next = kv ? Number(kv.value.toString()) : 0;
      if (next > 65534) throw new SmaError('INTERNAL', 'no LwM2M instance id left (65535 names registered)');
      // The counter must be unchanged and the name still without an id, or nothing is written.
      const txn = await this.call(() =>
        this.ns
          .if(NEXT_ID, 'Mod', '==', kv ? kv.mod_revision : 0)
          .and(idKey, 'Version', '==', 0)
          .then(this.ns.put(NEXT_ID).value(String(next + 1)), this.ns.put(idKey).value(String(next)))
          .commit(),
      );
      if (txn.succeeded) return next;
    }
    throw new SmaError('INTERNAL', `etcd: could not allocate an instance id for ${name} (too much contention)`);
  }
}
