// An external registry (etcd, Consul) with the static manifest behind it, as the seeds ask: while the
// external one is unreachable, answers come from the manifest (kind NONE), registrations are refused
// with UNAVAILABLE, and a probe every interval brings the agent back to it when it returns. Each switch
// is logged once, emitted as an AgentEvent REGISTRY_CHANGED, and reported to onExternalChange listeners
// (the set of services the agent should follow has changed).
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { SmaError, unavailable } from '../errors.js';
import type { EventBus } from '../events.js';
import type { RegistryKind, ServiceRecord, ServiceRegistration } from '../model.js';
import type { ExternalRegistry } from './external-registry.js';
import type { RecordPatch, Registry } from './registry.js';

export interface FallbackRegistryOptions {
  external: ExternalRegistry;
  /** The static manifest provider (kind NONE). */
  manifest: Registry;
  events: EventBus;
  clock: Clock;
  /** How often the external registry is probed, in both states (health.intervalMs). */
  probeIntervalMs: number;
  log: Logger;
  /** True when the external registry did not answer at start-up. */
  startInFallback?: boolean;
}

export class FallbackRegistry implements Registry {
  private external: boolean;
  private probing: Promise<void> | undefined;
  private readonly listeners: Array<() => void> = [];
  private readonly stopProbe: () => void;

  constructor(private readonly options: FallbackRegistryOptions) {
    this.external = !options.startInFallback;
    this.stopProbe = options.clock.setInterval(() => void this.probe(), options.probeIntervalMs);
    options.external.onExternalChange?.(() => {
      if (this.external) this.announce();
    });
  }

  get kind(): RegistryKind {
    return this.external ? this.options.external.kind : 'NONE';
  }

  /** Whether answers come from the external registry right now. */
  get usingExternal(): boolean {
    return this.external;
  }

  list(): Promise<ServiceRecord[]> {
    return this.either((r) => r.list());
  }

  get(name: string): Promise<ServiceRecord | undefined> {
    return this.either((r) => r.get(name));
  }

  register(reg: ServiceRegistration): Promise<ServiceRecord> {
    return this.externalOnly((r) => r.register(reg));
  }

  deregister(name: string): Promise<ServiceRecord | undefined> {
    return this.externalOnly((r) => r.deregister(name));
  }

  /** Runtime state of manifest services is still kept while the external registry is away. */
  update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined> {
    return this.either((r) => r.update(name, patch));
  }

  onExternalChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Asks the external registry once (joining a probe already under way); switches when reachability changed. */
  probe(): Promise<void> {
    this.probing ??= this.ask().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async ask(): Promise<void> {
    try {
      await this.options.external.ping();
      if (!this.external) this.switchTo(true, `${this.options.external.kind} answers again`);
    } catch (err) {
      if (this.external && isUnreachable(err)) this.switchTo(false, (err as SmaError).message);
    }
  }

  async close(): Promise<void> {
    this.stopProbe();
    await Promise.all([this.options.external.close(), this.options.manifest.close()]);
  }

  private either<T>(call: (r: Registry) => Promise<T>): Promise<T> {
    return this.tryExternal(call, () => call(this.options.manifest));
  }

  private externalOnly<T>(call: (r: Registry) => Promise<T>): Promise<T> {
    return this.tryExternal(call, () => {
      throw unavailable(`registry ${this.options.external.kind} is unreachable: registrations are refused until it returns`);
    });
  }

  /** The external registry while it answers; on an unreachable error, switches over and runs `otherwise`. */
  private async tryExternal<T>(call: (r: Registry) => Promise<T>, otherwise: () => Promise<T>): Promise<T> {
    if (this.external) {
      try {
        return await call(this.options.external);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        this.switchTo(false, (err as SmaError).message);
      }
    }
    return otherwise();
  }

  private switchTo(external: boolean, why: string): void {
    if (this.external === external) return;
    this.external = external;
    const kind = this.options.external.kind;
    const detail = external ? `back to ${kind}: ${why}` : `${kind} unreachable, serving the static manifest: ${why}`;
    if (external) this.options.log.info({ registry: kind }, detail);
    else this.options.log.warn({ registry: 'NONE', unreachable: kind }, detail);
    this.options.events.emit({ kind: 'agent', type: 'REGISTRY_CHANGED', detail, at: this.options.clock.now() });
    this.announce();
  }

  private announce(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.options.log.error({ err }, 'registry change listener failed');
      }
    }
  }
}

const isUnreachable = (err: unknown): boolean => err instanceof SmaError && err.code === 'UNAVAILABLE';
