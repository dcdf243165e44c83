// The composition root: config -> store -> providers -> engines -> inbox -> fronts, and the stop order.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { ConfigError } from './config/load.js';
import { deviceFacts } from './device-facts.js';
import { endpointOf, topicRootOf, type Config } from './config/schema.js';
import { EventBus } from './events.js';
import type { Executor, OutputSink } from './executor/executor.js';
import { ServiceOutput } from './output/service-output.js';
import { startWatch } from './watch/start-watch.js';
import type { WatchPorts } from './operations/watch-ports.js';
import { Inbox } from './inbox/inbox.js';
import { Journal } from './inbox/journal.js';
import { StoreExitMemory } from './supervisor/exit-memory.js';
import { JournalBudget } from './inbox/journal-budget.js';
import { JournalCompaction } from './inbox/journal-compaction.js';
import { IDEMPOTENCY_WINDOW_MS } from './inbox/inbox.js';
import { HttpFront } from './http/http-front.js';
import { httpRoutes, type HttpRouteDeps } from './http/http-routes.js';
import { isLoopback } from './policy/loopback.js';
import { StatusFeed } from './http/status-feed.js';
import { HttpAuthenticator } from './http/http-auth.js';
import { httpTransportPlan } from './http/http-transport-plan.js';
import { KeeperChangePublisher } from './mqtt/keeper-change-publisher.js';
import { BrokerAccess } from './mqtt/broker-access.js';
import { EmbeddedBroker } from './mqtt/embedded-broker.js';
import { MqttFront } from './mqtt/mqtt-front.js';
import type { MqttTransport } from './mqtt/transport.js';
import type { Ports, SelfControl } from './operations/ports.js';
import type { Registry } from './registry/registry.js';
import type { RememberedAccount } from './lwm2m/bootstrap/account-memory.js';
import { selectRegistry } from './registry/registry-selection.js';
import { StoreKeyValues } from './registry/kv-store.js';
import { CredentialGate } from './security/credential-gate.js';
import { LevelStore } from './store/level-store.js';
import { openStoreOrExplain } from './store/store-opening.js';
import { GuardedStore } from './store/guarded-store.js';
import { storedValue } from './store/stored-value.js';
import { Supervisor } from './supervisor/supervisor.js';
import { DeployMount } from './deploy/mount-deploy.js';
import { openExecutors } from './executor/open-executors.js';
import { TrustTracker } from './trust/trust-tracker.js';
import { TrustChangeLog } from './trust/trust-change-log.js';
import { AuthorizationPolicy } from './policy/authorization.js';
import { embeddedBrokerPlan, externalBrokerPlan, type TransportPlan } from './policy/transport-rules.js';
import { toCloudEvent } from './trust/cloud-event.js';
import { PACKAGE_ROOT, VERSION } from './version.js';

/** In-flight commands get this long at a stop; the whole stop must fit in run-agent's STOP_DEADLINE_MS. */
const DRAIN_MAX_MS = 4_000;

export class Agent {
  private readonly stops: Array<[string, () => Promise<void>]> = [];
  /** Every front's password and token checks, two at a time: libuv's pool stays free for LevelDB. */
  private readonly logins = new CredentialGate(2, 32);
  private stopping?: Promise<void>;
  mqttPort?: number;
  httpPort = 0;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Runs `stop` functions in reverse order of `start`. */
  private onStop(what: string, fn: () => Promise<void>): void {
    this.stops.push([what, fn]);
  }

  async start(self: Omit<SelfControl, 'name'>): Promise<void> {
    const { config, log, clock } = this;
    const startedAt = clock.now();
    const transportPlan = this.transportPlan();
    if (transportPlan.errors.length) throw new ConfigError(transportPlan.errors);
    for (const warning of transportPlan.warnings) log.warn({ security: 'plaintext' }, `INSECURE: ${warning}`);
    // Writes through the guard: a full or read-only disk turns into UNAVAILABLE answers and a DEGRADED /health.
    const store = new GuardedStore(await openStoreOrExplain(config.dataDir, LevelStore.open), { clock, log: log.child({ part: 'store' }) });
    this.onStop('store', () => store.close());

    const events = new EventBus();
    const registry: Registry = await selectRegistry({
      type: config.registry.type,
      consul: config.registry.consul,
      keeper: config.registry.keeper,
      etcd: config.registry.etcd,
      store,
      manifest: config.services,
      events,
      clock,
      probeIntervalMs: config.health.intervalMs,
      log: log.child({ part: 'registry' }),
    });
    this.onStop('registry', () => registry.close());

    const output = new ServiceOutput({ ...config.logs, publishEveryMs: 250, publishMaxLines: 200, clock, events });
    // Deployments' slots before the supervisor: each service starts the version it was switched to.
    const deploy = await DeployMount.open(config, store);
    const executor: Executor = await deploy.executor(await this.openExecutor(output.sink), log.child({ part: 'deploy' }));
    this.onStop('executor (owned children)', () => executor.close());

    const supervisor = new Supervisor({ registry, executor, events, clock, health: config.health, exits: new StoreExitMemory(store), log: log.child({ part: 'supervisor' }) });
    const trust = new TrustTracker({
      store,
      events,
      clock,
      config: config.trust,
      log: log.child({ part: 'trust' }),
      plugins: () => supervisor.pluginHealth(),
    });

    const deployments = await deploy.start({ registry, services: supervisor, events, clock, log: log.child({ part: 'deploy' }) });
    this.onStop('deployments (they go on at the next start)', () => deploy.close());
    const watchPorts: WatchPorts = { output };
    const ports: Ports = {
      registry,
      kv: new StoreKeyValues(store, config.http.keeper.serviceRoot),
      services: deploy.services(supervisor),
      deploy: deployments,
      trust,
      events,
      clock,
      self: { name: config.agent.id, ...self },
      agent: { agentId: config.agent.id, version: VERSION, startedAt, process: () => ({ pid: process.pid, dataDir: resolve(config.dataDir), mqttPort: this.mqttPort, httpPort: this.httpPort }) },
      // The process executor is always there (services with `start`), and with it their output.
      watch: watchPorts,
    };
    const budget = new JournalBudget({ maxBytes: config.operations.journalMaxBytes, principalShare: config.operations.journalPrincipalShare });
    const journal = new Journal(store, budget);
    await journal.open();
    // Before any front takes a command: what a crash cut short is answered INTERRUPTED, never run again;
    // what was still waiting in a queue runs now, ahead of anything new.
    const recovered = await journal.recover(clock.now());
    const compaction = new JournalCompaction(journal, clock, { keepMs: IDEMPOTENCY_WINDOW_MS, everyMs: 3_600_000 }, log.child({ part: 'journal' }));
    await compaction.start();
    const policy = new AuthorizationPolicy({ allowedCheckHosts: config.health.allowedHosts, serviceRoot: config.http.keeper.serviceRoot, agentId: config.agent.id });
    const inbox = new Inbox(ports, journal, { timeoutMs: config.operations.timeoutMs, policy, refuseWrites: () => store.refusal() }, log.child({ part: 'inbox' }));

    const { transport, mayRead } = await this.openMqtt(transportPlan);
    const mqtt = new MqttFront({
      transport,
      topicRoot: topicRootOf(config),
      intake: inbox,
      policy,
      mayRead,
      events,
      serviceBeat: (name, at) => supervisor.heartbeat(name, at),
      trust,
      formatTrustEvent: (e) => toCloudEvent(e, config.agent.id),
      published: (e) => {
        if (e.kind === 'trust') trust.acknowledge(e);
      },
      now: () => clock.now(),
      version: VERSION,
      log: log.child({ part: 'mqtt' }),
    });

    await supervisor.start();
    this.onStop('supervisor', () => supervisor.close());
    await trust.start();
    this.onStop('trust tracker (checkpoint)', () => trust.close());
    const trustLog = new TrustChangeLog({ subscribe: (l) => events.on(l), clock, log: log.child({ part: 'trust' }) });
    trustLog.start();
    this.onStop('trust change summary', async () => trustLog.stop());
    const watch = await startWatch({ config: config.watch, rules: config.rules, store, executor, records: async () => (await registry.list()).filter((r) => !r.halted), view: (record) => ports.services.view(record), intake: inbox, events, clock, log: log.child({ part: 'watch' }) });
    Object.assign(watchPorts, { history: watch.history, alerts: watch.alerts });
    this.onStop('watch (history and rule states)', () => watch.stop());
    deploy.resume();
    // Once the engines run and before any front takes a command: queued commands keep their places.
    const resumed = inbox.resume(recovered.queued, recovered.interrupted);
    if (recovered.interrupted.length || resumed.length) log.info({ interrupted: recovered.interrupted.length, resumed: resumed.length }, 'journal recovered');
    await mqtt.start();
    this.onStop('mqtt front (OFFLINE)', () => mqtt.stop());
    // The trust events a crash left in the outbox, now that the front listens: same ids as before.
    await trust.resendPending();

    // In journal order: the INTERRUPTED answers first, then those of the commands run again.
    for (const { command, done, sent } of resumed) {
      void done.then(async (reply) => sent(command.origin === 'mqtt' && (await mqtt.sendRecovered(command, reply))));
    }

    const feed = new StatusFeed({
      intake: inbox,
      subscribe: (listener) => events.on(listener),
      trustCounts: () => trust.counts(),
      now: () => clock.now(),
      log: log.child({ part: 'http' }),
    });
    const keeperChanges = new KeeperChangePublisher({ transport, events, topicPrefix: config.http.keeper.changeTopicPrefix, log: log.child({ part: 'keeper' }) });
    keeperChanges.start();
    this.onStop('keeper KV change publisher', async () => keeperChanges.stop());

    const http = await this.openHttp({
      intake: inbox,
      feed,
      info: { serviceName: config.agent.id, version: VERSION, publicConfig: () => publicConfig(config) },
      checkIntervalMs: config.health.intervalMs,
      counters: () => {
        const { devices, trusted } = trust.counts();
        return { ...supervisor.counters(), devices, trustedDevices: trusted, uptimeS: Math.floor((clock.now() - startedAt) / 1000), alerts: watch.alerts.firing() };
      },
      health: () => {
        const { writable, reason } = store.condition();
        return { status: writable ? 'UP' : 'DEGRADED', checks: { store: writable ? 'writable' : `not writable: ${reason}`, registry: registry.kind } };
      },
    });
    await http.start();
    feed.start();
    this.httpPort = http.port;
    this.onStop('http', async () => {
      feed.stop();
      await http.stop();
    });

    if (config.lwm2m.serverUri || config.lwm2m.bootstrapUri) {
      const { Lwm2mClient } = await import('./lwm2m/lwm2m-front.js');
      const lwm2m = new Lwm2mClient({
        config: { ...config.lwm2m, endpoint: endpointOf(config) },
        intake: inbox,
        events,
        clock,
        log: log.child({ part: 'lwm2m' }),
        objectsDir: join(PACKAGE_ROOT, 'objects'),
        device: deviceFacts(VERSION),
        canReboot: executor.canReboot,
        reboot: () => executor.reboot(),
        heartbeatTimeoutS: Math.round(config.trust.heartbeatTimeoutMs / 1000),
        memory: storedValue<RememberedAccount>(store, 'lwm2m-account', 'account', { sync: true }),
      });
      await lwm2m.start();
      this.onStop('lwm2m (de-register)', () => lwm2m.stop());
    }
    if (config.sparkplug.url) {
      const { mountSparkplug } = await import('./sparkplug/mount.js');
      const bdSeq = storedValue<number>(store, 'sparkplug', 'bdSeq', { sync: true });
      const stop = await mountSparkplug({ config: { ...config.sparkplug, url: config.sparkplug.url }, agentId: config.agent.id, intake: inbox, subscribe: (l) => events.on(l), bdSeq, intervalMs: config.health.intervalMs, clock, log: log.child({ part: 'sparkplug' }) });
      this.onStop('sparkplug edge node (NDEATH)', stop);
    }
    // Registered last, so it runs first on stop: no new commands, in-flight ones finish or stay journaled.
    this.onStop('intake (drain in-flight commands)', async () => {
      const left = await inbox.drain(Math.min(config.operations.timeoutMs, DRAIN_MAX_MS));
      if (left) log.warn({ left }, 'commands still running at stop: journaled, answered INTERRUPTED at the next start');
      await compaction.stop();
    });
    log.info(
      { agentId: config.agent.id, mqttPort: this.mqttPort, httpPort: this.httpPort, registry: registry.kind, version: VERSION, startupMs: clock.now() - startedAt },
      'ready',
    );
  }

  /** The HTTP front with its route modules (src/http/http-routes.ts), on the listener the configuration allows. */
  private async openHttp(deps: HttpRouteDeps): Promise<HttpFront> {
    const { config, log, clock } = this;
    const h = config.http;
    const plan = httpTransportPlan({ host: h.host, users: h.users?.length ?? 0, tls: h.cert !== undefined, allowPlaintext: h.allowPlaintext });
    if (plan.errors.length) throw new ConfigError(plan.errors);
    for (const w of plan.warnings) log.warn({ insecure: true }, w);
    return new HttpFront({
      host: h.host,
      port: h.port,
      loopback: isLoopback(h.host),
      clock,
      log: log.child({ part: 'http' }),
      ...(h.users?.length ? { authenticator: new HttpAuthenticator(h.users, this.logins, () => clock.now()) } : {}),
      ...(h.cert && h.key ? { tls: { cert: readFileSync(h.cert), key: readFileSync(h.key) } } : {}),
      routes: httpRoutes(deps),
    });
  }

  /** Each service under the executor its registration names (process, Docker, or the configured default). */
  private openExecutor(output: OutputSink): Promise<Executor> {
    return openExecutors(this.config, this.log.child({ part: 'executor' }), output);
  }

  private transportPlan(): TransportPlan {
    const m = this.config.mqtt;
    if (m.mode === 'external') return externalBrokerPlan(m.url!, m.password !== undefined, m.allowPlaintext);
    const b = m.broker;
    return embeddedBrokerPlan({ host: b.host, users: b.users?.length ?? 0, tls: b.tlsPort !== undefined && !!b.cert && !!b.key }, m.allowPlaintext);
  }

  private async openMqtt(plan: TransportPlan): Promise<{ transport: MqttTransport; mayRead?: BrokerAccess['mayRead'] }> {
    const { config, log } = this;
    const root = topicRootOf(config);
    if (config.mqtt.mode === 'external') {
      const offline = Buffer.from(JSON.stringify({ state: 'OFFLINE', since: null, version: VERSION }));
      // Loaded only when used: the MQTT client and CoAP stacks are memory a gateway may not need.
      const { connectExternal } = await import('./mqtt/external-client.js');
      const transport = await connectExternal({
        url: config.mqtt.url!,
        clientId: `sma-bridge-${config.agent.id}`,
        username: config.mqtt.username,
        password: config.mqtt.password,
        ca: config.mqtt.ca,
        cert: config.mqtt.cert,
        key: config.mqtt.key,
        protocolVersion: config.mqtt.protocolVersion,
        will: { topic: `${root}/status`, payload: offline },
        log: log.child({ part: 'mqtt' }),
      });
      this.onStop('mqtt client', () => transport.close());
      return { transport };
    }
    const b = config.mqtt.broker;
    const access = new BrokerAccess(b.users ?? [], root, (password, hash) => this.logins.check(password, hash), log.child({ part: 'broker' }), () => this.clock.now());
    const broker = await EmbeddedBroker.start({
      host: plan.plainHost ?? b.host,
      tlsHost: b.host,
      port: b.port,
      tlsPort: b.tlsPort,
      cert: b.cert,
      key: b.key,
      access,
      log: log.child({ part: 'broker' }),
    });
    this.mqttPort = broker.port;
    this.onStop('embedded broker', () => broker.close());
    return { transport: broker.transport(), mayRead: (p, topic) => access.mayRead(p, topic) };
  }

  /** Graceful stop in order: intake and fronts first, then engines, children, store. */
  stop(reason: string): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason }, 'stopping');
      for (const [what, fn] of this.stops.reverse()) {
        this.log.debug({ what }, 'stopping part');
        await fn().catch((err) => this.log.warn({ err, what }, 'stop step failed'));
      }
      this.log.info('stopped');
    })();
    return this.stopping;
  }
}

/** The configuration as /config shows it: password and token hashes and key paths left out. */
export function publicConfig(config: Config): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(config, (key, value: unknown) => (['passwordHash', 'tokenHash', 'password', 'key', 'psk'].includes(key) ? undefined : value)),
  ) as Record<string, unknown>;
}
