// What the LwM2M client serves, whatever server it talks to: the object model from the DDF files, one
// source per object, and the context every handler gets. Built once at start; connections come and go.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Intake } from '../inbox/command.js';
import { SENML_JSON } from './content/senml-json-format.js';
import { TLV } from './content/tlv-format.js';
import type { HandlerContext } from './handlers/handler-context.js';
import { IntakeClient } from './intake-client.js';
import { loadObjectModels } from './model/ddf-loader.js';
import type { ObjectModel } from './model/object-model.js';
import { ObjectTree } from './object-tree.js';
import { SecuritySource, ServerSource, type SecurityInstance, type ServerControl } from './objects/account-sources.js';
import type { DeviceFacts } from './objects/device-facts.js';
import { AgentSource, DeviceSource, ServiceSource, TrustSource } from './objects/object-sources.js';
import { SoftwareSource } from './objects/software-source.js';
import { UpdateSupportedObjects, type AnnouncedServicesMemory } from './objects/update-supported-objects.js';
import type { ObjectSource } from './objects/object-source.js';
import { AttributeStore } from './observe/attribute-store.js';
import { ObservationRegistry } from './observe/observation-registry.js';
import type { Lwm2mParameters } from './parameters.js';

export interface ClientObjectsOptions {
  objectsDir: string;
  intake: Intake;
  device: DeviceFacts;
  canReboot: boolean;
  reboot?: () => Promise<void>;
  heartbeatTimeoutS?: number;
  /** Object 1 (Server) and object 0 (Security): the account the client is using now. */
  server: ServerControl;
  security: () => SecurityInstance[];
  /** The LwM2M version the server accepted: 1.0 gets TLV for multiple values. */
  version: () => '1.0' | '1.1' | undefined;
  params: Lwm2mParameters;
  /** `lwm2m.noSecPackageDigest`: object 9 takes a Package URI's own digest from a NoSec server. */
  noSecPackageDigest?: boolean;
  /** Where object 9's Update Supported Objects (8) survive a restart (the store, in the agent). */
  announced?: AnnouncedServicesMemory;
  clock: Clock;
  log: Logger;
}

export interface ClientObjects {
  models: ReadonlyMap<number, ObjectModel>;
  ctx: HandlerContext;
  /** Instance ids of a service and a device, for the paths an event changes. */
  idOf: { service: (name: string) => number | undefined; device: (id: string) => number | undefined };
  /** Object 9's Update Supported Objects (8) of a service: an Update goes to the server after each install of it. */
  updateAfterInstall(name: string): boolean;
  /** A deregistered service's instance is gone, and its Update Supported Objects with it (a later one starts false). */
  forgetService(name: string): Promise<void>;
}

export async function buildClientObjects(o: ClientObjectsOptions): Promise<ClientObjects> {
  const { clock, log, params } = o;
  const models = await loadObjectModels(o.objectsDir);
  const services = new ServiceSource();
  const trust = new TrustSource(o.heartbeatTimeoutS);
  // Over DTLS the server is who it says; over NoSec only a signature by a trusted key vouches for a package.
  const announce = new UpdateSupportedObjects(o.announced);
  await announce.load();
  const software = new SoftwareSource(() => o.noSecPackageDigest === true || o.security().some((a) => !a.bootstrap && a.mode === 0), announce);
  const sources: ObjectSource<unknown>[] = [
    new SecuritySource(o.security) as ObjectSource<unknown>,
    new ServerSource(o.server) as ObjectSource<unknown>,
    new DeviceSource(o.device, () => clock.now(), o.canReboot, o.reboot) as ObjectSource<unknown>,
    services as ObjectSource<unknown>,
    new AgentSource() as ObjectSource<unknown>,
    trust as ObjectSource<unknown>,
    software as ObjectSource<unknown>,
  ];
  const tree = new ObjectTree(models, sources);
  const intake = new IntakeClient(o.intake, params.exchangeLifetimeMs);
  const attributes = new AttributeStore();
  const observations = new ObservationRegistry({ tree, ask: intake.ask, attributes, clock, log, coalesceMs: params.coalesceMs, max: params.maxObservations });
  const ctx: HandlerContext = {
    tree,
    intake,
    attributes,
    observations,
    clock,
    log,
    multiValueFormat: () => (o.version() === '1.0' ? TLV : SENML_JSON),
    recordResult: (name, text) => services.lastResults.set(name, text),
  };
  return {
    models,
    ctx,
    idOf: { service: (n) => services.idOf(n) ?? software.idOf(n), device: (d) => trust.idOf(d) },
    updateAfterInstall: (n) => software.updateSupportedObjects(n),
    forgetService: (n) => announce.set(n, false),
  };
}
