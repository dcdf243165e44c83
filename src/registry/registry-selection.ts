// registry.type -> one Registry (CONTRACT section 7; seeds: Consul first, then the SMA, then none).
// auto: Consul when registry.consul.url answers, else Core Keeper when registry.keeper.url answers, else
// etcd when configured and answering, else the embedded registry. An external registry comes wrapped in FallbackRegistry (static manifest behind it);
// an explicit consul/etcd that does not answer at start-up starts in fallback and is probed until it does.
// The composition root passes everything in; provider construction is injectable for tests.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { invalidRequest } from '../errors.js';
import type { EventBus } from '../events.js';
import type { ServiceRegistration } from '../model.js';
import type { Store } from '../store/store.js';
import { EmbeddedRegistry } from './embedded-registry.js';
import type { ExternalRegistry } from './external-registry.js';
import { FallbackRegistry } from './fallback-registry.js';
import { ManifestRegistry } from './manifest-registry.js';
import type { Registry } from './registry.js';

export type RegistryType = 'auto' | 'consul' | 'keeper' | 'etcd' | 'sma' | 'none';

export interface RegistryProviders {
  /** The agent's own registry, with the manifest's services in it (source MANIFEST). */
  embedded(store: Store, manifest: readonly ServiceRegistration[]): Promise<Registry>;
  manifest(store: Store, manifest: readonly ServiceRegistration[]): Promise<Registry>;
  consul(url: string): ExternalRegistry | Promise<ExternalRegistry>;
  keeper(url: string): ExternalRegistry | Promise<ExternalRegistry>;
  etcd(hosts: string[], prefix: string | undefined): ExternalRegistry | Promise<ExternalRegistry>;
}

export interface RegistrySelectionOptions {
  type: RegistryType;
  consul?: { url: string };
  keeper?: { url: string };
  etcd?: { hosts: string[]; prefix?: string };
  store: Store;
  /** The config's `services`: served when the type is none, and as the fallback of an external registry. */
  manifest: readonly ServiceRegistration[];
  events: EventBus;
  clock: Clock;
  /** How often an external registry is probed (health.intervalMs); also Consul's HTTP check interval. */
  probeIntervalMs: number;
  /** Consul's HTTP check timeout (health.timeoutMs, default 2000). */
  checkTimeoutMs?: number;
  /** Written into etcd presence keys (agent.id). */
  agentId?: string;
  log: Logger;
  /** Replaces how providers are built (tests). */
  providers?: Partial<RegistryProviders>;
}

export async function selectRegistry(options: RegistrySelectionOptions): Promise<Registry> {
  const { type, store, manifest, log } = options;
  const providers = { ...defaultProviders(options), ...options.providers };
  const chose = (registry: string, why: string) => log.info({ registry, type }, `registry: ${registry} (${why})`);

  if (type === 'none') {
    chose('NONE', 'registry.type none: the static manifest');
    return providers.manifest(store, manifest);
  }
  if (type === 'sma') {
    chose('SMA', 'registry.type sma: the embedded registry');
    return providers.embedded(store, manifest);
  }
  if (type === 'consul' || type === 'keeper' || type === 'etcd') {
    const external = await (type === 'consul' ? consulOf(options, providers) : type === 'keeper' ? keeperOf(options, providers) : etcdOf(options, providers));
    const answered = await answers(external);
    chose(answered ? external.kind : 'NONE', answered ? `registry.type ${type}` : `registry.type ${type}, not answering: static manifest until it does`);
    return wrap(external, options, providers, !answered);
  }
  // auto: the seeds' order of precedence.
  const tried: string[] = [];
  if (options.consul) {
    const consul = await providers.consul(options.consul.url);
    if (await answers(consul)) {
      chose('CONSUL', `auto: ${options.consul.url} answers`);
      return wrap(consul, options, providers, false);
    }
    tried.push(`consul ${options.consul.url} does not answer`);
    await consul.close();
  }
  if (options.keeper) {
    const keeper = await providers.keeper(options.keeper.url);
    if (await answers(keeper)) {
      chose('KEEPER', `auto: ${options.keeper.url} answers${tried.length ? `; ${tried.join('; ')}` : ''}`);
      return wrap(keeper, options, providers, false);
    }
    tried.push(`keeper ${options.keeper.url} does not answer`);
    await keeper.close();
  }
  if (options.etcd) {
    const etcd = await providers.etcd(options.etcd.hosts, options.etcd.prefix);
    if (await answers(etcd)) {
      chose('ETCD', `auto: ${options.etcd.hosts.join(',')} answers${tried.length ? `; ${tried.join('; ')}` : ''}`);
      return wrap(etcd, options, providers, false);
    }
    tried.push(`etcd ${options.etcd.hosts.join(',')} does not answer`);
    await etcd.close();
  }
  chose('SMA', `auto: ${tried.length ? tried.join('; ') : 'no external registry configured'}; the embedded registry`);
  return providers.embedded(store, manifest);
}

function defaultProviders(options: RegistrySelectionOptions): RegistryProviders {
  const log = options.log;
  return {
    embedded: (store, manifest) => EmbeddedRegistry.open(store, { manifest }),
    manifest: (store, manifest) => ManifestRegistry.open(store, manifest),
    // External providers load on demand: etcd3 and its gRPC stack cost ~25 MB that a gateway without etcd should not pay.
    consul: async (url) =>
      new (await import('./consul-registry.js')).ConsulRegistry({ url, log, clock: options.clock, checkIntervalMs: options.probeIntervalMs, checkTimeoutMs: options.checkTimeoutMs }),
    keeper: async (url) => new (await import('./keeper-registry.js')).KeeperRegistry({ url, log }),
    etcd: async (hosts, prefix) => (await import('./etcd-registry.js')).EtcdRegistry.open({ hosts, prefix, log, agentId: options.agentId }),
  };
}

function consulOf(options: RegistrySelectionOptions, providers: RegistryProviders): ExternalRegistry | Promise<ExternalRegistry> {
  if (!options.consul) throw invalidRequest('registry.consul.url: needed when registry.type is consul');
  return providers.consul(options.consul.url);
}

function keeperOf(options: RegistrySelectionOptions, providers: RegistryProviders): ExternalRegistry | Promise<ExternalRegistry> {
  if (!options.keeper) throw invalidRequest('registry.keeper.url: needed when registry.type is keeper');
  return providers.keeper(options.keeper.url);
}

function etcdOf(options: RegistrySelectionOptions, providers: RegistryProviders): ExternalRegistry | Promise<ExternalRegistry> {
  if (!options.etcd) throw invalidRequest('registry.etcd.hosts: needed when registry.type is etcd');
  return providers.etcd(options.etcd.hosts, options.etcd.prefix);
}

async function answers(external: ExternalRegistry): Promise<boolean> {
  try {
    await external.ping();
    return true;
  } catch {
    return false;
  }
}

async function wrap(external: ExternalRegistry, options: RegistrySelectionOptions, providers: RegistryProviders, startInFallback: boolean): Promise<Registry> {
  return new FallbackRegistry({
    external,
    manifest: await providers.manifest(options.store, options.manifest),
    events: options.events,
    clock: options.clock,
    probeIntervalMs: options.probeIntervalMs,
    log: options.log,
    startInFallback,
  });
}
