// Deployments and each service's slots in the store. A state is written (and synced) before its step runs.
import { atomicWrite, type SectionOp, type Store } from '../store/store.js';
import type { Deployment, ServiceSlots } from './deployment.js';

const DEPLOYMENTS = 'deployments';
const SLOTS = 'deploy-slots';
/** Finished deployments kept per service for `services.deployments`. */
const HISTORY_PER_SERVICE = 20;

export class DeployStore {
  constructor(private readonly store: Store) {}

  async all(): Promise<Deployment[]> {
    const out: Deployment[] = [];
    for await (const [, d] of this.store.section<Deployment>(DEPLOYMENTS).entries()) out.push(d);
    return out.sort((a, b) => a.createdAt - b.createdAt || a.deploymentId.localeCompare(b.deploymentId));
  }

  async slots(): Promise<ServiceSlots[]> {
    const out: ServiceSlots[] = [];
    for await (const [, s] of this.store.section<ServiceSlots>(SLOTS).entries()) out.push(s);
    return out;
  }

  /** The deployment (and, when given, the service's slots) in one synced batch: all of it or none survives a crash. */
  async save(deployment: Deployment, slots?: ServiceSlots): Promise<void> {
    const ops: SectionOp[] = [{ section: DEPLOYMENTS, type: 'put', key: deployment.deploymentId, value: deployment }];
    if (slots) ops.push({ section: SLOTS, type: 'put', key: slots.name, value: slots });
    await atomicWrite(this.store, ops, { sync: true });
  }

  /** Drops a service's oldest finished deployments beyond the history kept. */
  async prune(name: string, finished: Deployment[]): Promise<void> {
    const old = finished.filter((d) => d.name === name).slice(0, -HISTORY_PER_SERVICE);
    if (old.length) await atomicWrite(this.store, old.map((d) => ({ section: DEPLOYMENTS, type: 'del' as const, key: d.deploymentId })));
  }
}
