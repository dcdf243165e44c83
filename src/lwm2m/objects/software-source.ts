// Object 9 (LwM2M Software Management, v1.0): one instance per service, bound to its deployments (CONTRACT 13).
// Writing Package URI (`#sha256=HEX[&version=V]`) starts a held deployment (download and verify: DELIVERED);
// Install goes on with it (switch and gate); Uninstall 1 discards a delivered package or cancels the deployment in
// progress (the package the server sent is given up, whatever step it is in), Uninstall 0 deregisters the service;
// Activate and Deactivate start and stop it. Reads go through operations only.
import type { ServiceView } from '../../model.js';
import type { ResourceValue } from '../content/node.js';
import { parseExecuteArgs } from '../handlers/execute-create-delete.js';
import { CoapFailure } from './coap-failure.js';
import { PackageCredentials } from './package-credentials.js';
import { UpdateSupportedObjects } from './update-supported-objects.js';
import type { Ask, BindingTable, Effect, InstanceQuery, ObjectSource, ResourceBinding } from './object-source.js';

export interface DeploymentSummary {
  deploymentId: string;
  name: string;
  version: string;
  kind?: 'deploy' | 'rollback';
  state: string;
  error?: { code: string; message: string };
  /** Installing again after a failed Install (src/deploy/install-again.ts). */
  reinstallOf?: string;
  /** An Uninstall "for update" dropped its package. */
  discarded?: boolean;
}

export interface SoftwareInstance {
  view: ServiceView;
  latest?: DeploymentSummary;
  /** A Package URI this front refused (Update Result 56), until the next good one. */
  refusedUri?: boolean;
  /** The last Uninstall failed (Update Result 59), until the deployment moves on, or the next Uninstall or Package URI. */
  uninstallFailed?: boolean;
}

const VERSION = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;
const ENDED = new Set(['DONE', 'ROLLED_BACK', 'FAILED']);
const RESULT_OF_ERROR: Record<string, number> = { NO_SPACE: 50, DOWNLOAD: 52, INTEGRITY: 53, INSTALL: 58, GATE: 58, INTERRUPTED: 0 };
const INSTALLING = new Set(['DELIVERED', 'INSTALLING', 'SWITCHING', 'GATING', 'ROLLING_BACK']);

/** Update State (7) and Update Result (9) of an instance (OMA SwMgmt's package installation state machine). */
export function updateStateAndResult(i: SoftwareInstance): [number, number] {
  if (i.refusedUri) return [0, 56];
  const [state, result] = fromDeployment(i);
  // A failed Uninstall leaves the state where it was.
  return i.uninstallFailed ? [state, 59] : [state, result];
}

function fromDeployment(i: SoftwareInstance): [number, number] {
  const d = i.latest;
  if (!d) return [i.view.version ? 4 : 0, 0];
  // Uninstall (for update) sets the state back to INITIAL and the result to its initial value.
  if (d.discarded) return [0, 0];
  if (d.state === 'DOWNLOADING' || d.state === 'VERIFYING') {
    // Install executed again: the package is fetched anew, but to the server it is being installed from DELIVERED.
    if (d.reinstallOf !== undefined) return [3, 3];
    return d.state === 'DOWNLOADING' ? [1, 1] : [2, 1];
  }
  if (INSTALLING.has(d.state)) return [3, 3];
  if (d.state === 'DONE') return [4, 2];
  const code = d.error?.code ?? '';
  // An operator's rollback that failed: what ran before runs on, no package was delivered.
  if (d.kind === 'rollback') return [i.view.version ? 4 : 0, 58];
  // "If executing the Install Resource failed, the state remains at DELIVERED" (result 58); Install may be
  // executed again. A failed gate has been rolled back to what ran before (ROLLED_BACK): the same.
  if (code === 'INSTALL' || code === 'GATE') return [3, 58];
  // A failed download or integrity check (or a dropped package): INITIAL with the reason.
  return [0, RESULT_OF_ERROR[code] ?? 57];
}

/** The deploy request a Package URI stands for; a CoapFailure 4.00 when it cannot be one. */
export function packageRequest(name: string, uri: string): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new CoapFailure('4.00', 'Package URI is not a URI');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CoapFailure('4.00', 'Package URI must be http:// or https://');
  const fragment = new URLSearchParams(url.hash.slice(1));
  const sha256 = fragment.get('sha256') ?? undefined;
  if (sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha256)) throw new CoapFailure('4.00', 'the fragment #sha256= takes 64 hex digits');
  const file = url.pathname.split('/').pop() ?? '';
  const fromName = /-([0-9][0-9A-Za-z._+-]*?)(?:\.tar\.gz|\.tgz)$/.exec(file)?.[1];
  const version = fragment.get('version') ?? fromName ?? (sha256 ? `sha-${sha256.slice(0, 12).toLowerCase()}` : undefined);
  if (version === undefined) throw new CoapFailure('4.00', 'Package URI names no version: #version=V, or a file name NAME-VERSION.tgz');
  if (!VERSION.test(version)) throw new CoapFailure('4.00', `version ${JSON.stringify(version)} does not match ${VERSION.source}`);
  url.hash = '';
  // Without a digest, the artifact must be signed: its detached signature is at URI.sig (CONTRACT 13).
  const artifact = sha256 ? { url: url.href, sha256 } : { url: url.href, signatureUrl: `${url.href}.sig` };
  return { name, version, artifact, hold: true };
}

export class SoftwareSource implements ObjectSource<SoftwareInstance> {
  readonly objectId = 9;
  readonly bindings: BindingTable<SoftwareInstance>;
  private readonly ids = new Map<string, number>();
  private readonly refused = new Set<string>();
  /** User Name (14) and Password (15) as written, per service, in memory only (src/lwm2m/objects/package-credentials.ts). */
  private readonly credentials = new PackageCredentials();
  /** Services whose last Uninstall failed, with the deployment (id and state) it failed in: a later state's result replaces 59. */
  private readonly uninstallFailed = new Map<string, string>();

  /**
   * `digestTrusted`: whether a Package URI's own `#sha256` may stand for the package (DTLS, or the NoSec opt-in).
   * `announce`: Update Supported Objects (8) per service, as written (default false), kept across restarts.
   */
  constructor(
    digestTrusted: () => boolean,
    private readonly announce: UpdateSupportedObjects = new UpdateSupportedObjects(),
  ) {
    const name = (i: SoftwareInstance): string => i.view.name;
    this.bindings = new Map<number, ResourceBinding<SoftwareInstance>>([
      [0, { read: name }],
      [1, { read: (i) => i.view.version ?? '' }],
      [
        3,
        {
          write: ({ instance, value }): Effect => {
            try {
              const body = packageRequest(name(instance), String(value));
              if ((body.artifact as { sha256?: string }).sha256 !== undefined && !digestTrusted()) {
                throw new CoapFailure('4.03', 'NoSec: a Package URI with its own #sha256 is refused (anyone could send it); give a signed package (no digest) or set lwm2m.noSecPackageDigest');
              }
              this.refused.delete(name(instance));
              this.uninstallFailed.delete(name(instance));
              const auth = this.credentials.of(name(instance));
              return { op: 'services.deploy', body: auth ? { ...body, artifact: { ...(body.artifact as object), auth } } : body };
            } catch (err) {
              this.refused.add(name(instance));
              throw err;
            }
          },
        },
      ],
      [
        4,
        {
          execute: (i): Effect => {
            // Installing again after a failed Install fetches the package anew: with the credentials it was written with.
            const auth = updateStateAndResult(i)[1] === 58 ? this.credentials.of(name(i)) : undefined;
            return { op: 'services.install', body: { name: name(i), ...(auth ? { auth } : {}) } };
          },
        },
      ],
      [
        6,
        {
          execute: (i, text): Effect => {
            const forUpdate = parseExecuteArgs(text).has(1);
            this.refused.delete(name(i));
            this.uninstallFailed.delete(name(i));
            const onFailure = (): void => void this.uninstallFailed.set(name(i), stateKey(i.latest));
            if (!forUpdate) return { op: 'registry.deregister', body: { name: name(i) }, onFailure };
            this.credentials.forget(name(i));
            // A deployment under way (downloading, or from Install on) is cancelled; with none, nothing waits to be dropped.
            return { op: i.latest && !ENDED.has(i.latest.state) ? 'services.cancel' : 'services.discard', body: { name: name(i) }, onFailure };
          },
        },
      ],
      // Write only: no read binding, so a Read answers 4.05 and no representation of the instance carries them.
      [14, { write: ({ instance, value }) => this.credentials.write(name(instance), 'username', String(value), digestTrusted()) }],
      [15, { write: ({ instance, value }) => this.credentials.write(name(instance), 'password', String(value), digestTrusted()) }],
      [7, { read: (i) => updateStateAndResult(i)[0] }],
      [8, { read: (i) => this.announce.has(name(i)), write: ({ instance, value }) => ({ local: () => this.announce.set(name(instance), value === true) }) }],
      // Checkpoint (5) and Package Settings (13) link to no object here: an Objlnk with no link is MAX_ID:MAX_ID.
      [5, { read: () => NO_LINK }],
      [13, { read: () => NO_LINK, write: ({ value }) => noLinkOnly(value) }],
      [9, { read: (i) => updateStateAndResult(i)[1] }],
      [10, { execute: (i) => ({ op: 'services.start', body: { names: [name(i)] } }) }],
      [11, { execute: (i) => ({ op: 'services.stop', body: { names: [name(i)] } }) }],
      [12, { read: (i) => i.view.status === 'RUNNING' }],
    ]);
  }

  /** Update Supported Objects (8) of a service. */
  updateSupportedObjects(name: string): boolean {
    return this.announce.has(name);
  }

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  async read(ask: Ask, query: InstanceQuery): Promise<Map<number, SoftwareInstance>> {
    const views = (await ask('services.list', {})) as ServiceView[];
    for (const v of views) this.ids.set(v.name, v.instanceId);
    const chosen = query.instanceId === undefined ? views : views.filter((v) => v.instanceId === query.instanceId);
    const latest = new Map<string, DeploymentSummary>();
    if (chosen.length > 0) {
      // An agent without a deploy engine answers UNAVAILABLE: its instances have no deployments.
      const answer = (await ask('services.deployments', {}).catch(() => ({ deployments: [] }))) as { deployments: DeploymentSummary[] };
      for (const d of answer.deployments) latest.set(d.name, d);
    }
    return new Map(chosen.map((v) => [v.instanceId, { view: v, latest: latest.get(v.name), refusedUri: this.refused.has(v.name), uninstallFailed: this.uninstallFailed.get(v.name) === stateKey(latest.get(v.name)) }]));
  }
}

/** An object link to nothing (LwM2M core, Objlnk: both ids MAX_ID, 65535). */
const NO_LINK = { objectId: 65535, instanceId: 65535 };

/** Package Settings links to no application object on this agent: only "no link" may be written. */
function noLinkOnly(value: ResourceValue): Effect {
  const link = value as Partial<typeof NO_LINK>;
  if (link?.objectId !== NO_LINK.objectId || link.instanceId !== NO_LINK.instanceId) throw new CoapFailure('4.00', 'Package Settings: this agent has no settings object to link to; only 65535:65535 (no link) is taken');
  return { local: () => undefined };
}

const stateKey = (d: DeploymentSummary | undefined): string => `${d?.deploymentId ?? ''}/${d?.state ?? ''}`;

export type { ResourceValue };
