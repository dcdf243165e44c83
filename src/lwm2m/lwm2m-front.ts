// The LwM2M front: an LwM2M 1.1 client over CoAP/UDP that only translates to operations and events.
import { lookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Intake } from '../inbox/command.js';
import { DownlinkDispatcher } from './downlink-dispatcher.js';
import { effectOf } from './event-paths.js';
import type { HandlerContext } from './handlers/handler-context.js';
import type { DeviceFacts } from './objects/device-facts.js';
import { SHORT_SERVER_ID, type SecurityInstance } from './objects/account-sources.js';
import type { ObjectModel } from './model/object-model.js';
import { defaultParameters, retryDelayMs, type Lwm2mParameters } from './parameters.js';
import { buildClientObjects } from './client-objects.js';
import { RegistrationSession } from './registration-session.js';
import { parseServerUri } from './server-uri.js';
import { CoapEndpoint } from './transport/coap-endpoint.js';
import type { PskCredentials } from './transport/dtls-port.js';
import { TransientAccountMemory, type AccountMemory, type RememberedAccount } from './bootstrap/account-memory.js';
import { bootstrapOnce } from './bootstrap/bootstrap-request.js';
import { fromStored, toStored, type ServerAccount } from './bootstrap/server-account.js';
import { configuredAccount, readPsk } from './configured-account.js';
import { portFor } from './transport/port-for.js';
import type { AnnouncedServicesMemory } from './objects/update-supported-objects.js';
import type { DatagramPort } from './transport/udp-port.js';

export type { DeviceFacts } from './objects/device-facts.js';

export interface Lwm2mClientOptions {
  config: Config['lwm2m'] & { endpoint: string };
  intake: Intake;
  events: EventBus;
  clock: Clock;
  log: Logger;
  objectsDir: string;
  device: DeviceFacts;
  /** Whether /3/0/4 Reboot exists (the executor has a reboot command). */
  canReboot: boolean;
  /** What Reboot runs, after the response is sent; without it Reboot answers 5.01. */
  reboot?: () => Promise<void>;
  /** Shown as 33002/x/5 (trust.heartbeatTimeoutMs / 1000). */
  heartbeatTimeoutS?: number;
  parameters?: Partial<Lwm2mParameters>;
  /** Where a bootstrapped account and a written Lifetime survive a restart (the store, in the agent). */
  memory?: AccountMemory;
  /** Where object 9's Update Supported Objects (8) survive a restart (the store, in the agent). */
  announced?: AnnouncedServicesMemory;
}

export class Lwm2mClient {
  private endpoint?: CoapEndpoint;
  private session?: RegistrationSession;
  private observations?: HandlerContext['observations'];
  private unsubscribe: () => void = () => {};
  private refreshPending = false;
  private readonly params: Lwm2mParameters;
  private readonly memory: AccountMemory;
  private models?: ReadonlyMap<number, ObjectModel>;
  private ctx?: HandlerContext;
  private account?: ServerAccount;
  private remembered: RememberedAccount = {};
  private bootstrapPsk?: PskCredentials;
  private stopped = false;
  private bootstrapping = false;
  /** Connect, disconnect and bootstrap run one at a time, in order. */
  private steps: Promise<void> = Promise.resolve();
  private cancelRetry: () => void = () => {};
  /** Aborted by stop(): a bootstrap waiting for its server gives up at once. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: Lwm2mClientOptions) {
    this.params = { ...defaultParameters, ...o.parameters };
    this.memory = o.memory ?? new TransientAccountMemory();
  }

  /** Local UDP port (0 before start). */
  get port(): number {
    return this.endpoint?.port ?? 0;
  }

  get registrationState(): string {
    if (this.session) return this.session.state;
    return this.bootstrapping ? 'bootstrapping' : 'stopped';
  }

  /** Notifications sent so far. */
  get notificationsSent(): number {
    return this.observations?.sent ?? 0;
  }

  /**
   * Registers with the server a Bootstrap-Server gave (remembered), else the configured one, else bootstraps
   * now: start then returns at once and the bootstrap goes on with back-off, as registration does.
   */
  async start(): Promise<void> {
    const { config, log } = this.o;
    if (!config.serverUri && !config.bootstrapUri) throw new Error('lwm2m.serverUri or lwm2m.bootstrapUri must be set');
    if (config.acceptFrom === 'any') log.warn('lwm2m.acceptFrom is "any": requests from any peer are served (debugging only)');
    this.remembered = (await this.memory.recall()) ?? {};
    const written = this.remembered.writtenLifetime;
    // The operator changed the configured lifetime since a server wrote one: the configuration wins, for good.
    if (written && written.overConfigS !== config.lifetimeS) await this.remember({ ...this.remembered, writtenLifetime: undefined });
    const configured = config.serverUri ? await configuredAccount(config, config.serverUri) : undefined;
    if (config.bootstrapPsk) this.bootstrapPsk = await readPsk(config.bootstrapPsk, 'lwm2m.bootstrapPsk');
    await this.prepare();
    // A bootstrapped account wins over the configured one (a factory account), which wins over bootstrapping.
    if (config.bootstrapUri && this.remembered.bootstrapped) await this.connect(fromStored(this.remembered.bootstrapped));
    else if (configured) await this.connect(configured);
    else this.enqueue(() => this.bootstrap());
  }

  /** De-registers, ends observations and closes the socket. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.cancelRetry();
    this.unsubscribe();
    await this.steps;
    await this.disconnect();
  }

  /** What does not depend on the server: the object model, the sources, the handlers. */
  private async prepare(): Promise<void> {
    const { config } = this.o;
    const built = await buildClientObjects({
      ...this.o,
      params: this.params,
      security: () => this.securityInstances(),
      noSecPackageDigest: config.noSecPackageDigest,
      version: () => this.session?.version,
      server: {
        shortServerId: () => this.account?.shortServerId ?? SHORT_SERVER_ID,
        lifetimeS: () => this.session?.lifetime ?? this.lifetimeOf(this.account),
        setLifetime: (s) => {
          this.session?.setLifetime(s);
          void this.remember({ ...this.remembered, writtenLifetime: { lifetimeS: s, overConfigS: config.lifetimeS } });
        },
        triggerUpdate: () => this.session?.triggerUpdate(),
        ...(config.bootstrapUri ? { triggerBootstrap: () => this.enqueue(() => this.rebootstrap('Bootstrap-Request Trigger (1/0/9) executed')) } : {}),
      },
    });
    this.models = built.models;
    this.ctx = built.ctx;
    this.observations = built.ctx.observations;
    this.unsubscribe = this.o.events.on((event) => {
      if (event.kind === 'service' && event.type === 'DEREGISTERED') {
        built.forgetService(event.name).catch((err: unknown) => this.o.log.warn({ err, service: event.name }, 'could not forget Update Supported Objects of a deregistered service'));
      }
      const effect = effectOf(event, built.idOf);
      if (!effect) return;
      for (const p of effect.paths) built.ctx.observations.changed(p);
      if (effect.instancesChanged) this.scheduleRefresh();
      // Object 9's Update Supported Objects: after a successful install the server hears of the objects at once.
      if (event.kind === 'deploy' && event.state === 'DONE' && built.updateAfterInstall(event.name)) this.session?.announceObjects();
    });
  }

  /** Opens the transport the account's security mode asks for and registers. */
  private async connect(account: ServerAccount): Promise<void> {
    const { config, clock, log } = this.o;
    this.account = account;
    const server = parseServerUri(account.uri);
    const serverAddress = (await lookup(server.host, { family: 4 })).address;
    const dispatcher = new DownlinkDispatcher(this.ctx!, log);
    const accepts = (src: { address: string; port: number }): boolean => config.acceptFrom === 'any' || (src.address === serverAddress && src.port === server.port);
    const psk = account.mode === 0 ? { identity: account.identity!, key: account.key! } : undefined;
    const openPort = (): Promise<DatagramPort> => portFor({ host: serverAddress, port: server.port }, psk, { localPort: config.localPort, params: this.params, log });
    const endpoint = new CoapEndpoint({ openPort, params: this.params, clock, log, receiver: dispatcher, accepts });
    await endpoint.open();
    this.endpoint = endpoint;
    this.session = new RegistrationSession({
      endpoint: config.endpoint,
      lifetimeS: this.lifetimeOf(account),
      server: { host: serverAddress, port: server.port },
      params: this.params,
      clock,
      log,
      send: (up) => endpoint.request(up),
      renewTransport: () => endpoint.renewSession(),
      links: () => this.ctx!.tree.links(this.ctx!.intake.ask, this.params.maxLinkedInstances),
      ...(config.bootstrapUri ? { onRefused: () => this.enqueue(() => this.rebootstrap('the server keeps refusing the registration')) } : {}),
    });
    log.info({ server: account.uri, endpoint: config.endpoint, localPort: endpoint.port, objects: this.ctx!.tree.objectIds() }, 'lwm2m client started');
    this.session.start();
  }

  private async disconnect(): Promise<void> {
    this.observations?.cancelAll();
    await this.session?.stop();
    await this.endpoint?.close();
    this.session = undefined;
    this.endpoint = undefined;
  }

  /** Client-initiated Bootstrap until it succeeds (or the client stops), then registration with its account. */
  private async bootstrap(attempt = 0): Promise<void> {
    const { config, clock, log } = this.o;
    if (this.stopped) return;
    this.bootstrapping = true;
    try {
      const account = await bootstrapOnce({
        endpoint: config.endpoint,
        bootstrapUri: config.bootstrapUri!,
        ...(this.bootstrapPsk ? { psk: this.bootstrapPsk } : {}),
        models: this.models!,
        defaultLifetimeS: config.lifetimeS,
        localPort: config.localPort,
        params: this.params,
        clock,
        log,
        signal: this.stopping.signal,
      });
      await this.remember({ bootstrapped: toStored(account) });
      log.info({ server: account.uri, shortServerId: account.shortServerId, lifetimeS: account.lifetimeS, mode: account.mode === 0 ? 'PSK' : 'NoSec' }, 'bootstrapped');
      this.bootstrapping = false;
      if (!this.stopped) await this.connect(account);
    } catch (err) {
      if (this.stopped) {
        this.bootstrapping = false;
        return;
      }
      const delay = retryDelayMs(attempt, this.params, config.lifetimeS);
      const detail = { bootstrapUri: config.bootstrapUri, why: (err as Error).message, retryInMs: delay };
      if (attempt === 0) log.warn(detail, 'bootstrap failed; retrying with back-off');
      else log.debug(detail, 'bootstrap failed again');
      this.cancelRetry = clock.setTimeout(() => this.enqueue(() => this.bootstrap(attempt + 1)), delay);
    }
  }

  /** Forgets the bootstrapped account, leaves the server and bootstraps afresh. */
  private async rebootstrap(why: string): Promise<void> {
    if (this.stopped) return;
    this.o.log.info({ why }, 'bootstrapping again');
    await this.disconnect();
    this.account = undefined;
    await this.remember({});
    await this.bootstrap();
  }

  /** A written Lifetime (start() forgot one the configuration has changed since), else the account's. */
  private lifetimeOf(account: ServerAccount | undefined): number {
    return this.remembered.writtenLifetime?.lifetimeS ?? account?.lifetimeS ?? this.o.config.lifetimeS;
  }

  private securityInstances(): SecurityInstance[] {
    const { config } = this.o;
    const a = this.account;
    return [
      ...(a ? [{ uri: a.uri, bootstrap: false, mode: a.mode, identity: a.identity, shortServerId: a.shortServerId }] : []),
      ...(config.bootstrapUri ? [{ uri: config.bootstrapUri, bootstrap: true, mode: this.bootstrapPsk ? (0 as const) : (3 as const), identity: this.bootstrapPsk?.identity }] : []),
    ];
  }

  private async remember(account: RememberedAccount): Promise<void> {
    this.remembered = account;
    await this.memory.remember(account).catch((err: unknown) => this.o.log.warn({ err }, 'could not keep the LwM2M account in the store'));
  }

  private enqueue(step: () => Promise<void>): void {
    this.steps = this.steps.then(step).catch((err: unknown) => this.o.log.error({ err }, 'lwm2m step failed'));
  }

  private scheduleRefresh(): void {
    if (this.refreshPending) return;
    this.refreshPending = true;
    this.o.clock.setTimeout(() => {
      this.refreshPending = false;
      this.session?.refresh();
    }, this.params.coalesceMs);
  }
}
