// One etcd lease per service the agent looks after, holding `alive/{name}`. The lease is kept alive
// for every non-halted service while the agent runs, so other etcd clients can tell which services a
// live agent supervises: the keys vanish one TTL after the agent dies, and at once on deregistration.
// Records themselves are never leased: a lease lapsing must not lose a registration or its state.
import type { Logger } from 'pino';
import type { Lease, Namespace } from 'etcd3';

export class EtcdPresence {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly ns: Namespace,
    private readonly ttlS: number,
    private readonly agentId: string,
    private readonly log: Logger,
  ) {}

  /** Grants leases for names newly wanted, revokes those no longer wanted. Never throws. */
  sync(wanted: Iterable<string>): void {
    const want = new Set(wanted);
    for (const name of want) if (!this.leases.has(name)) this.grant(name);
    for (const name of [...this.leases.keys()]) if (!want.has(name)) this.drop(name);
  }

  names(): string[] {
    return [...this.leases.keys()];
  }

  drop(name: string): void {
    const lease = this.leases.get(name);
    if (!lease) return;
    this.leases.delete(name);
    lease.revoke().catch(() => lease.release());
  }

  async close(): Promise<void> {
    const all = [...this.leases.values()];
    this.leases.clear();
    await Promise.all(all.map((lease) => lease.revoke().catch(() => lease.release())));
  }

  private grant(name: string): void {
    const lease = this.ns.lease(this.ttlS, { autoKeepAlive: true });
    this.leases.set(name, lease);
    // A lost lease (etcd gone past the TTL) is forgotten; the next sync grants a new one.
    const forget = (why: string) => {
      if (this.leases.get(name) !== lease) return;
      this.leases.delete(name);
      lease.release();
      this.log.debug({ service: name, why }, 'etcd presence lease lost');
    };
    lease.on('lost', (err) => forget(err.message));
    lease
      .put(`alive/${name}`)
      .value(JSON.stringify({ agent: this.agentId }))
      .catch((err: Error) => forget(err.message));
  }
}
