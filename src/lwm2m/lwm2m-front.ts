// The LwM2M front: an LwM2M 1.1 client over CoAP/UDP that only translates to operations and events.
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Intake } from '../inbox/command.js';
import { TLV } from './content/tlv-format.js';
import { SENML_JSON } from './content/senml-json-format.js';
import { DownlinkDispatcher } from './downlink-dispatcher.js';
import { effectOf } from './event-paths.js';
import type { HandlerContext } from './handlers/handler-context.js';
import { IntakeClient } from './intake-client.js';
import { loadObjectModels } from './model/ddf-loader.js';
import { ObjectTree } from './object-tree.js';
import type { DeviceFacts } from './objects/device-facts.js';
import { SecuritySource, ServerSource, SHORT_SERVER_ID, type SecurityInstance } from './objects/account-sources.js';
import { AgentSource, DeviceSource, ServiceSource, TrustSource } from './objects/object-sources.js';
import type { ObjectSource } from './objects/object-source.js';
import { AttributeStore } from './observe/attribute-store.js';
import { ObservationRegistry } from './observe/observation-registry.js';
import { defaultParameters, type Lwm2mParameters } from './parameters.js';
import { RegistrationSession } from './registration-session.js';
import { CoapEndpoint } from './transport/coap-endpoint.js';
import { DtlsPort, type PskCredentials } from './transport/dtls-port.js';
import { UdpPort, type DatagramPort } from './transport/udp-port.js';

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
}

export function parseServerUri(uri: string): { host: string; port: number; secure: boolean } {
  const url = new URL(uri);
  if (url.protocol !== 'coap:' && url.protocol !== 'coaps:') throw new Error(`LwM2M server URI must be coap:// or coaps://, not ${url.protocol}`);
  const secure = url.protocol === 'coaps:';
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : secure ? 5684 : 5683, secure };
}

/** The PSK of a coaps:// server, read once; kept out of every log line and every readable resource. */
async function pskOf(config: Lwm2mClientOptions['config']): Promise<PskCredentials> {
  const psk = config.psk;
  if (!psk) throw new Error('lwm2m.serverUri is coaps:// but lwm2m.psk is not set (certificate modes are not supported yet)');
  const hex = psk.key ?? (await readFile(psk.keyFile!, 'utf8')).trim();
  if (!/^([0-9a-fA-F]{2}){1,64}$/.test(hex)) throw new Error('lwm2m.psk.keyFile must hold 1-64 bytes of hex');
  return { identity: psk.identity, key: Buffer.from(hex, 'hex') };
}

export class Lwm2mClient {
  private endpoint?: CoapEndpoint;
  private session?: RegistrationSession;
  private observations?: ObservationRegistry;
  private unsubscribe: () => void = () => {};
  private refreshPending = false;
  private readonly params: Lwm2mParameters;

  constructor(private readonly o: Lwm2mClientOptions) {
    this.params = { ...defaultParameters, ...o.parameters };
  }

  /** Local UDP port (0 before start). */
  get port(): number {
    return this.endpoint?.port ?? 0;
  }

  get registrationState(): string {
    return this.session?.state ?? 'stopped';
  }

  /** Notifications sent so far. */
  get notificationsSent(): number {
    return this.observations?.sent ?? 0;
  }

  async start(): Promise<void> {
    const { config, log, clock } = this.o;
    if (!config.serverUri) throw new Error('lwm2m.serverUri is not set');
    if (config.bootstrapUri) log.warn({ bootstrapUri: config.bootstrapUri }, 'bootstrap is not supported; registering with serverUri directly');
    const server = parseServerUri(config.serverUri);
    if (!server.secure && config.psk) throw new Error('lwm2m.psk is set but lwm2m.serverUri is coap:// (NoSec); use coaps://');
    const psk = server.secure ? await pskOf(config) : undefined;
    const serverAddress = (await lookup(server.host, { family: 4 })).address;
    if (config.acceptFrom === 'any') log.warn('lwm2m.acceptFrom is "any": requests from any peer are served (debugging only)');

    const models = await loadObjectModels(this.o.objectsDir);
    const services = new ServiceSource();
    const trust = new TrustSource(this.o.heartbeatTimeoutS);
    const accounts: SecurityInstance[] = [
      { uri: config.serverUri, bootstrap: false, mode: psk ? 0 : 3, identity: psk?.identity, shortServerId: SHORT_SERVER_ID },
      ...(config.bootstrapUri ? [{ uri: config.bootstrapUri, bootstrap: true, mode: 3 as const }] : []),
    ];
    const serverObject = new ServerSource({
      lifetimeS: () => this.session?.lifetime ?? config.lifetimeS,
      setLifetime: (s) => this.session?.setLifetime(s),
      triggerUpdate: () => this.session?.triggerUpdate(),
    });
    const sources: ObjectSource<unknown>[] = [
      new SecuritySource(() => accounts) as ObjectSource<unknown>,
      serverObject as ObjectSource<unknown>,
      new DeviceSource(this.o.device, () => clock.now(), this.o.canReboot, this.o.reboot) as ObjectSource<unknown>,
      services as ObjectSource<unknown>,
      new AgentSource() as ObjectSource<unknown>,
      trust as ObjectSource<unknown>,
    ];
    const tree = new ObjectTree(models, sources);
    const intake = new IntakeClient(this.o.intake, this.params.exchangeLifetimeMs);
    const attributes = new AttributeStore();
    const observations = new ObservationRegistry({ tree, ask: intake.ask, attributes, clock, log, coalesceMs: this.params.coalesceMs, max: this.params.maxObservations });
    this.observations = observations;
    const ctx: HandlerContext = {
      tree,
      intake,
      attributes,
      observations,
      clock,
      log,
      multiValueFormat: () => (this.session?.version === '1.0' ? TLV : SENML_JSON),
      recordResult: (name, text) => services.lastResults.set(name, text),
    };
    const dispatcher = new DownlinkDispatcher(ctx, log);
    const accepts = (src: { address: string; port: number }): boolean => config.acceptFrom === 'any' || (src.address === serverAddress && src.port === server.port);
    // The one place a security mode picks its transport; certificate modes would add a branch here.
    const openPort = (): Promise<DatagramPort> =>
      psk
        ? Promise.resolve(new DtlsPort({ host: serverAddress, port: server.port }, psk, log, this.params.registrationAttemptMs))
        : UdpPort.open(config.localPort, this.params.socketReceiveBufferBytes, log);
    this.endpoint = new CoapEndpoint({ openPort, params: this.params, clock, log, receiver: dispatcher, accepts });
    await this.endpoint.open();
    const endpoint = this.endpoint;
    this.session = new RegistrationSession({
      endpoint: config.endpoint,
      lifetimeS: config.lifetimeS,
      server: { host: serverAddress, port: server.port },
      params: this.params,
      clock,
      log,
      send: (up) => endpoint.request(up),
      renewTransport: () => endpoint.renewSession(),
      links: () => tree.links(intake.ask, this.params.maxLinkedInstances),
    });
    this.unsubscribe = this.o.events.on((event) => {
      const effect = effectOf(event, { service: (n) => services.idOf(n), device: (d) => trust.idOf(d) });
      if (!effect) return;
      for (const p of effect.paths) observations.changed(p);
      if (effect.instancesChanged) this.scheduleRefresh();
    });
    log.info({ server: config.serverUri, endpoint: config.endpoint, localPort: endpoint.port, objects: tree.objectIds() }, 'lwm2m client started');
    this.session.start();
  }

  /** De-registers, ends observations and closes the socket. */
  async stop(): Promise<void> {
    this.unsubscribe();
    this.observations?.cancelAll();
    await this.session?.stop();
    await this.endpoint?.close();
    this.endpoint = undefined;
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
