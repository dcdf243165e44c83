// The composition root: config -> store -> providers -> engines -> inbox -> fronts, and the stop order.
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { EventBus } from './events.js';
import type { Executor, OutputSink } from './executor/executor.js';
import { ServiceOutput } from './output/service-output.js';
import { startWatch } from './watch/start-watch.js';
import type { WatchPorts } from './operations/watch-ports.js';
import { Inbox } from './inbox/inbox.js';
import { openJournal } from './inbox/open-journal.js';
import { StoreExitMemory } from './supervisor/exit-memory.js';
import { mountHttp } from './http/mount-http.js';
import { KeeperChangePublisher } from './mqtt/keeper-change-publisher.js';
import { mqttTransportPlan } from './mqtt/configured-transport.js';
import { mountMqtt } from './mqtt/mount-mqtt.js';
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
import { VERSION } from './version.js';

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
    const transportPlan = mqttTransportPlan(config.mqtt);
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
    // Before any front takes a command: what a crash cut short is read back (recovered), answered below.
    const { journal, recovered, compaction } = await openJournal({ store, limits: config.operations, clock, log: log.child({ part: 'journal' }) });
    const policy = new AuthorizationPolicy({ allowedCheckHosts: config.health.allowedHosts, serviceRoot: config.http.keeper.serviceRoot, agentId: config.agent.id });
    const inbox = new Inbox(ports, journal, { timeoutMs: config.operations.timeoutMs, policy, refuseWrites: () => store.refusal() }, log.child({ part: 'inbox' }));

    // The embedded broker listens from here on (services connect as they start); the front starts below.
    const { front: mqtt, transport, brokerPort, closes, close } = await mountMqtt({ config, plan: transportPlan, logins: this.logins, intake: inbox, policy, events, services: supervisor, trust, clock, log });
    this.mqttPort = brokerPort;
    this.onStop(closes, close);

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

    const keeperChanges = new KeeperChangePublisher({ transport, events, topicPrefix: config.http.keeper.changeTopicPrefix, log: log.child({ part: 'keeper' }) });
    keeperChanges.start();
    this.onStop('keeper KV change publisher', async () => keeperChanges.stop());

    const http = await mountHttp({
      config,
      logins: this.logins,
      intake: inbox,
      subscribe: (listener) => events.on(listener),
      trustCounts: () => trust.counts(),
      counters: () => {
        const { devices, trusted } = trust.counts();
        return { ...supervisor.counters(), devices, trustedDevices: trusted, uptimeS: Math.floor((clock.now() - startedAt) / 1000), alerts: watch.alerts.firing() };
      },
      health: () => {
        const { writable, reason } = store.condition();
        return { status: writable ? 'UP' : 'DEGRADED', checks: { store: writable ? 'writable' : `not writable: ${reason}`, registry: registry.kind } };
      },
      clock,
      log: log.child({ part: 'http' }),
    });
    this.httpPort = http.port;
    this.onStop('http', http.stop);

    if (config.lwm2m.serverUri || config.lwm2m.bootstrapUri) {
      // Loaded only when used: the CoAP and DTLS stacks stay out of an agent that does not speak LwM2M.
      const { mountLwm2m } = await import('./lwm2m/mount-lwm2m.js');
      const memory = storedValue<RememberedAccount>(store, 'lwm2m-account', 'account', { sync: true });
      const announced = storedValue<string[]>(store, 'lwm2m-objects', 'updateSupportedObjects', { sync: true });
      this.onStop('lwm2m (de-register)', await mountLwm2m({ config, intake: inbox, events, executor, memory, announced, clock, log: log.child({ part: 'lwm2m' }) }));
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

  /** Each service under the executor its registration names (process, Docker, or the configured default). */
  private openExecutor(output: OutputSink): Promise<Executor> {
    return openExecutors(this.config, this.log.child({ part: 'executor' }), output);
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

