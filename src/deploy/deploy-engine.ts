// The deploy engine (CONTRACT section 13): one state machine per deployment on its own clock. Every state is
// in the store before its step starts, so after a crash each unfinished deployment goes on from the state it
// was in: the steps before the switch are done again (a download resumes), the switch, the gate and the
// rollback are repeated whole. One deployment per service at a time.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { conflict, invalidRequest, notFound } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Registry } from '../registry/registry.js';
import type { ServiceControl } from '../supervisor/service-control.js';
import type { ArtifactSteps } from './artifact-steps.js';
import type { DeployStore } from './deploy-store.js';
import { DEFAULT_GATE, DeployFailure, FINAL_STATES, type DeployErrorCode, type Deployment, type DeployRequest, type DeployState, type ServiceSlots, type Slot } from './deployment.js';
import { passGate } from './health-gate.js';
import type { ContainerSteps } from './container-steps.js';
import { deploymentView, type DeploymentsAnswer } from './deployment-view.js';
import { cancelEffect, cancelFailure } from './cancel-rules.js';
import { KeyedLock } from '../inbox/keyed-lock.js';
import { installableAgain, latestOf } from './install-again.js';
import type { DownloadCredentials } from './download-credentials.js';
import type { BasicAuth } from './artifact-download.js';

export interface DeployEngineOptions {
  store: DeployStore;
  registry: Registry;
  services: ServiceControl;
  events: EventBus;
  clock: Clock;
  log: Logger;
  steps: Pick<ArtifactSteps, 'download' | 'verify' | 'install' | 'clean'>;
  /** What each service runs (loaded before the supervisor starts; the executor reads it for every start). */
  slots: Map<string, ServiceSlots>;
  /** Container services' images and containers (absent: container services cannot be deployed). */
  containers?: Pick<ContainerSteps, 'currentImage' | 'ensureImage' | 'load' | 'recreate'>;
  /** The gate of a deployment that names none (`deploy.gate`). */
  defaultGate?: { healthyForMs: number; timeoutMs: number };
  /** A pause after each state is stored, before its step (0 in service; crash trials widen the window with it). */
  stepPauseMs?: number;
  /** `deploy.requireSignature`: an image by reference carries no signature, so it is refused. */
  requireSignature?: boolean;
  /** Where an artifact's download credentials wait while its download may need them (never in the store). */
  credentials?: DownloadCredentials;
}

/** At most one DOWNLOADING progress event per service this often. */
const PROGRESS_EVERY_MS = 500;

export class DeployEngine {
  /** Unfinished deployments by service name: the one-per-service rule. */
  private readonly unfinished = new Map<string, Deployment>();
  private readonly runs = new Set<Promise<void>>();
  private readonly lastProgress = new Map<string, number>();
  /** The step under way of each deployment (by id), for a cancel to cut short. */
  private readonly steps = new Map<string, AbortController>();
  /** Each deployment's writes in turn (by id): a cancel's write never lands on top of a newer state. */
  private readonly writes = new KeyedLock();
  private closed = false;

  private readonly slots: Map<string, ServiceSlots>;

  constructor(private readonly o: DeployEngineOptions) {
    this.slots = o.slots;
  }

  /** Reads the unfinished deployments. */
  async load(): Promise<void> {
    for (const d of await this.o.store.all()) if (!FINAL_STATES.has(d.state)) this.unfinished.set(d.name, d);
    await this.o.credentials?.sweep(this.unfinished.values());
  }

  /** The ids of the deployments not ended yet (their files must stay). */
  unfinishedIds(): Set<string> {
    return new Set([...this.unfinished.values()].map((d) => d.deploymentId));
  }

  /** Goes on with what a crash or a stop left unfinished (after the supervisor has started). */
  resume(): void {
    for (const d of this.unfinished.values()) {
      // A package resting at DELIVERED waits for Install; one whose cancel a crash cut short ends now.
      if (d.state === 'DELIVERED' && d.cancelledAt === undefined) continue;
      this.o.log.info({ deploymentId: d.deploymentId, service: d.name, version: d.version, state: d.state }, 'deployment resumed');
      this.launch(d);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async deploy(req: DeployRequest): Promise<{ deploymentId: string; name: string; version: string; state: DeployState }> {
    const record = await this.o.registry.get(req.name);
    if (!record || record.halted) throw notFound(`no service named ${req.name}`);
    // A package waiting to be installed gives way to a newer one (an LwM2M server writes a new Package URI).
    const held = this.unfinished.get(req.name);
    if (held?.state === 'DELIVERED') await this.discard(req.name);
    this.refuseBusy(req.name);
    const before = this.slotsOf(req.name);
    if (before.active?.version === req.version) throw conflict(`${req.name} runs version ${req.version} already`);
    if (before.previous?.version === req.version) throw conflict(`version ${req.version} of ${req.name} is kept for a rollback: use services.rollback`);
    const common = { artifact: req.artifact, gate: { ...(this.o.defaultGate ?? DEFAULT_GATE), ...req.gate }, ...(req.hold ? { hold: true } : {}) };
    if (record.container) {
      const containers = this.o.containers;
      if (!containers) throw invalidRequest('this agent deploys no containers');
      const container = record.container.name;
      // An image the engine has, by reference, is signed by no one: with signatures required only a signed image
      // tarball (url, sha256, signature) may be deployed.
      if ('image' in req.artifact && this.o.requireSignature) throw invalidRequest('deploy.requireSignature is set: an image by reference carries no signature; deploy a signed image tarball (url, sha256, signature)');
      // What runs before the first deployment is the container's own image: the version a failure goes back to.
      const known = before.active ? before : { ...before, active: { image: await containers.currentImage(container) } };
      const image = 'image' in req.artifact ? req.artifact.image : undefined;
      return this.accept(req.name, req.version, 'deploy', image ? 'INSTALLING' : 'DOWNLOADING', { version: req.version, ...(image ? { image } : {}) }, known, { ...common, container });
    }
    if ('image' in req.artifact) throw invalidRequest(`${req.name} is not a container service: its artifact is a URL with its SHA-256`);
    const template = req.start ?? before.active?.template;
    if (!template && !record.start) throw invalidRequest(`${req.name} has no start command: give \`start\` with the deployment`);
    return this.accept(req.name, req.version, 'deploy', 'DOWNLOADING', { version: req.version, ...(template ? { template } : {}) }, before, common);
  }

  /**
   * Installs the package a held deployment rests with: it goes on from INSTALLING. With none, a deployment whose
   * installation failed (and that nothing dropped since) is installed again: fetched and verified anew.
   */
  async install(name: string, auth?: BasicAuth): Promise<{ deploymentId: string; name: string; version: string; state: DeployState }> {
    const d = this.unfinished.get(name);
    if (!d) {
      const failed = installableAgain(await this.o.store.all(), name);
      if (!failed) throw notFound(`${name} has no package waiting to be installed`);
      return this.installAgain(failed, auth);
    }
    if (d.state !== 'DELIVERED') throw conflict(`${name}'s deployment ${d.deploymentId} is ${d.state}, not DELIVERED`);
    await this.enter(d, 'INSTALLING');
    this.launch(d);
    return { deploymentId: d.deploymentId, name, version: d.version, state: d.state };
  }

  /**
   * Drops the package a held deployment rests with (FAILED, INTERRUPTED); the running version stays. With none
   * waiting, the service's latest ended deployment is marked `discarded`: it can no longer be installed again.
   */
  async discard(name: string): Promise<{ deploymentId?: string; name: string }> {
    const d = this.unfinished.get(name);
    // Ended (its last clean-up may still run): nothing waits to be installed.
    if (!d || FINAL_STATES.has(d.state)) {
      const latest = latestOf(await this.o.store.all(), name);
      if (latest && FINAL_STATES.has(latest.state) && !latest.discarded && !this.unfinished.has(name)) await this.o.store.save({ ...latest, discarded: true });
      return { name };
    }
    if (d.state !== 'DELIVERED') throw conflict(`${name}'s deployment ${d.deploymentId} is ${d.state}: only a package waiting to be installed can be discarded`);
    await this.enter(d, 'FAILED', new DeployFailure('INTERRUPTED', 'the package was discarded before it was installed'));
    await this.finish(d);
    return { deploymentId: d.deploymentId, name };
  }

  /**
   * Cancels `name`'s deployment in progress (cancel-rules.ts): the cancel is stored first (a restart finds it), then
   * the step under way is cut short; the run ends it FAILED with INTERRUPTED (before SWITCHING, its files removed)
   * or rolls back (SWITCHING, GATING). One resting at DELIVERED ends FAILED here. Answers at once, with the state
   * the deployment is in now; its end comes as events. A second cancel answers the same.
   */
  async cancel(name: string, by?: string): Promise<{ deploymentId: string; name: string; version: string; state: DeployState; cancelledAt: string }> {
    const d = this.unfinished.get(name);
    if (!d || FINAL_STATES.has(d.state)) throw notFound(`${name} has no deployment in progress`);
    const ended = await this.serial(d, async () => {
      if (d.cancelledAt === undefined) {
        const effect = cancelEffect(d.state);
        if (effect === 'ENDED') throw notFound(`${name}'s deployment ${d.deploymentId} has ended ${d.state}`);
        if (effect === 'REFUSED') throw conflict(`${name}'s deployment ${d.deploymentId} is ${d.state}: the version before it is being restored, which a cancel cannot stop`);
        const next: Deployment = { ...d, cancelledAt: this.o.clock.now(), ...(by ? { cancelledBy: by } : {}) };
        await this.o.store.save(next);
        Object.assign(d, next);
        this.o.log.warn({ deploymentId: d.deploymentId, service: name, state: d.state, by, then: effect }, 'deployment cancelled');
      }
      // Nothing runs for a package resting at DELIVERED: it ends here.
      if (d.state !== 'DELIVERED') return false;
      await this.endCancelled(d);
      return true;
    });
    if (ended) await this.finish(d);
    else this.steps.get(d.deploymentId)?.abort();
    return { deploymentId: d.deploymentId, name, version: d.version, state: d.state, cancelledAt: new Date(d.cancelledAt!).toISOString() };
  }

  /** A new deployment of a failed one's request (its gate, start, artifact), straight through to the gate. */
  private async installAgain(failed: Deployment, auth: BasicAuth | undefined) {
    const record = await this.o.registry.get(failed.name);
    if (!record || record.halted) throw notFound(`no service named ${failed.name}`);
    this.refuseBusy(failed.name);
    const before = this.slotsOf(failed.name);
    if (before.active?.version === failed.version) throw conflict(`${failed.name} runs version ${failed.version} already`);
    const { image: _image, ...target } = failed.target;
    const fetched = failed.artifact && 'url' in failed.artifact;
    const known = failed.container && !before.active ? { ...before, active: failed.before.active } : before;
    const artifact = auth && failed.artifact && 'url' in failed.artifact ? { ...failed.artifact, auth } : failed.artifact;
    const rest = { artifact, gate: failed.gate, reinstallOf: failed.deploymentId, ...(failed.container ? { container: failed.container } : {}) };
    return this.accept(failed.name, failed.version, 'deploy', fetched ? 'DOWNLOADING' : 'INSTALLING', fetched ? target : failed.target, known, rest);
  }

  async rollback(name: string): Promise<{ deploymentId: string; name: string; version: string; state: DeployState }> {
    const record = await this.o.registry.get(name);
    if (!record || record.halted) throw notFound(`no service named ${name}`);
    this.refuseBusy(name);
    const before = this.slotsOf(name);
    if (!before.active || !before.previous) throw notFound(`${name} has no previous version to roll back to`);
    // The gate the running version passed: the last deployment of this service that ended DONE.
    const gate = [...(await this.o.store.all())].reverse().find((d) => d.name === name && d.state === 'DONE')?.gate ?? this.o.defaultGate ?? DEFAULT_GATE;
    return this.accept(name, before.previous.version ?? 'registered', 'rollback', 'SWITCHING', before.previous, before, { gate, ...(record.container ? { container: record.container.name } : {}) });
  }

  async list(name?: string): Promise<DeploymentsAnswer> {
    const all = (await this.o.store.all()).filter((d) => name === undefined || d.name === name);
    const slots = [...this.slots.values()].filter((s) => name === undefined || s.name === name).sort((a, b) => a.name.localeCompare(b.name));
    return {
      deployments: all.map(deploymentView),
      services: slots.map((s) => ({ name: s.name, ...(s.active?.version ? { current: s.active.version } : {}), ...(s.previous?.version ? { previous: s.previous.version } : {}) })),
    };
  }

  /**
   * The deployment that owns `name`'s lifecycle now: from acceptance to its end, but for one resting at DELIVERED
   * (nothing of it has touched the service yet, and Install is a command of its own). Operators' starts, stops,
   * restarts and deregistrations of the service are refused meanwhile (src/operations/deployment-hold.ts).
   */
  inProgress(name: string): { deploymentId: string; state: DeployState } | undefined {
    const d = this.unfinished.get(name);
    if (!d || d.state === 'DELIVERED' || FINAL_STATES.has(d.state)) return undefined;
    return { deploymentId: d.deploymentId, state: d.state };
  }

  /** Waits for every running deployment to reach a state it would stop in (tests, benchmarks). */
  async settled(): Promise<void> {
    while (this.runs.size) await Promise.allSettled([...this.runs]);
  }

  private refuseBusy(name: string): void {
    const busy = this.unfinished.get(name);
    if (busy) throw conflict(`${name} has a deployment in progress (${busy.deploymentId}, ${busy.state})`);
  }

  private slotsOf(name: string): ServiceSlots {
    return this.slots.get(name) ?? { name };
  }

  private async accept(name: string, version: string, kind: Deployment['kind'], state: DeployState, target: Slot, before: ServiceSlots, rest: Pick<Deployment, 'gate'> & Partial<Deployment>) {
    const now = this.o.clock.now();
    const d: Deployment = { deploymentId: randomUUID(), name, version, kind, target, before, state, createdAt: now, updatedAt: now, ...rest };
    // Claimed before the write: a second request for the service while this one is written gets CONFLICT.
    this.unfinished.set(name, d);
    try {
      await this.o.credentials?.takeFrom(d);
      await this.o.store.save(d);
    } catch (err) {
      this.unfinished.delete(name);
      throw err;
    }
    this.announce(d);
    this.launch(d);
    return { deploymentId: d.deploymentId, name, version, state };
  }

  private launch(d: Deployment): void {
    const run = this.run(d).catch((err: unknown) => {
      // Only a store that cannot be written gets here: the deployment stays where it was and goes on at the next start.
      this.o.log.error({ err, deploymentId: d.deploymentId, service: d.name, state: d.state }, 'deployment stopped: its state cannot be stored');
    });
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
  }

  private async run(d: Deployment): Promise<void> {
    while (!this.closed && !FINAL_STATES.has(d.state) && (d.state !== 'DELIVERED' || d.cancelledAt !== undefined)) {
      await this.pause();
      if (this.closed) return;
      // A cancel stored before this step (before a crash, too) acts instead of it; one that comes during the step
      // cuts it short and acts on what it answers (checked in turn with the cancel's own write).
      const outcome = this.cancelled(d) ?? (await this.stepCancellably(d));
      await this.serial(d, async () => {
        const cancel = this.cancelled(d);
        if (cancel?.[0] === 'FAILED') return this.endCancelled(d);
        const [next, error, slots] = cancel ?? outcome;
        await this.enterNow(d, next, error, slots);
      });
    }
    if (FINAL_STATES.has(d.state)) await this.finish(d);
  }

  /** What a stored cancel makes of `d` now: FAILED or ROLLING_BACK with INTERRUPTED; undefined when it has none (or is rolling back). */
  private cancelled(d: Deployment): [DeployState, DeployFailure] | undefined {
    if (d.cancelledAt === undefined) return undefined;
    const effect = cancelEffect(d.state);
    return effect === 'FAILED' || effect === 'ROLLING_BACK' ? [effect, cancelFailure(d.cancelledBy)] : undefined;
  }

  /**
   * A cancel before SWITCHING: its files (the artifact, a partial or unpacked version no slot runs) removed, then
   * FAILED stored; a crash in between finds the cancel stored and does both again. Inside the deployment's turn.
   */
  private async endCancelled(d: Deployment): Promise<void> {
    await this.o.steps.clean(d, keptVersions(this.slotsOf(d.name))).catch((err: unknown) => this.o.log.warn({ err, service: d.name }, 'cannot remove a cancelled deployment\'s files'));
    await this.enterNow(d, 'FAILED', cancelFailure(d.cancelledBy));
  }

  private async stepCancellably(d: Deployment): Promise<[DeployState, DeployFailure?, ServiceSlots?]> {
    const abort = new AbortController();
    this.steps.set(d.deploymentId, abort);
    try {
      return await this.step(d, abort.signal);
    } finally {
      this.steps.delete(d.deploymentId);
    }
  }

  /** Runs the step of `d.state`; answers the state to enter next (with an error, and new slots when they change). */
  private async step(d: Deployment, signal: AbortSignal): Promise<[DeployState, DeployFailure?, ServiceSlots?]> {
    const { steps } = this.o;
    try {
      switch (d.state) {
        // The download, the verification and the gate stop at a cancel; the unpack (or image load) and the switch,
        // local and bounded, finish first (a switch cut between its stop and its start would leave nothing running).
        case 'DOWNLOADING':
          await steps.download(d, signal);
          return ['VERIFYING'];
        case 'VERIFYING':
          await steps.verify(d, signal);
          return [d.hold ? 'DELIVERED' : 'INSTALLING'];
        case 'INSTALLING':
          if (d.container) await this.installImage(d);
          else await steps.install(d, keptVersions(d.before));
          return ['SWITCHING'];
        case 'SWITCHING':
          await this.switchTo(d, { name: d.name, active: d.target, previous: d.before.active ?? {} });
          return ['GATING'];
        case 'GATING':
          await this.gate(d, signal);
          return ['DONE'];
        case 'ROLLING_BACK':
          await this.switchTo(d, d.before);
          await this.gate(d);
          return ['ROLLED_BACK'];
        default:
          return [d.state];
      }
    } catch (err) {
      const failure = err instanceof DeployFailure ? err : new DeployFailure(codeFor(d.state), (err as Error).message);
      if (d.state === 'SWITCHING' || d.state === 'GATING') return ['ROLLING_BACK', failure];
      // A failed rollback keeps the error that started it, with its own message after.
      if (d.state === 'ROLLING_BACK') return ['FAILED', new DeployFailure(d.error?.code ?? failure.code, `${d.error?.message ?? ''}; the rollback failed too: ${failure.message}`)];
      return ['FAILED', failure];
    }
  }

  /** Stops what runs, makes `slots` what the executor starts, starts it. Never two versions: one child per service. */
  private async switchTo(d: Deployment, slots: ServiceSlots): Promise<void> {
    const record = await this.o.registry.get(d.name);
    if (!record) throw new DeployFailure('GATE', `${d.name} is no longer registered`);
    const stopped = await this.o.services.stop(record);
    if (stopped.result !== 'OK') throw new DeployFailure('GATE', `cannot stop ${d.name}: ${stopped.error?.message ?? stopped.result}`);
    await this.serial(d, () => this.o.store.save(d, slots));
    this.slots.set(d.name, slots);
    if (d.container) {
      const image = slots.active?.image;
      if (!image) throw new DeployFailure('GATE', `no image to run ${d.container} from`);
      await this.o.containers!.recreate(d.container, image);
    }
    const started = await this.o.services.start(record);
    if (started.result !== 'OK') throw new DeployFailure('GATE', `cannot start ${d.name}: ${started.error?.message ?? started.result}`);
  }

  /** A container service's INSTALLING: the tarball loaded into the engine (its image kept in the target), or the image checked. */
  private async installImage(d: Deployment): Promise<void> {
    const containers = this.o.containers!;
    if (d.target.image) return containers.ensureImage(d.target.image);
    d.target = { ...d.target, image: await containers.load(d) };
  }

  private async gate(d: Deployment, signal?: AbortSignal): Promise<void> {
    const record = await this.o.registry.get(d.name);
    if (!record) throw new DeployFailure('GATE', `${d.name} is no longer registered`);
    await passGate(this.o, record, d.gate, signal);
  }

  private enter(d: Deployment, state: DeployState, error?: DeployFailure, slots?: ServiceSlots): Promise<void> {
    return this.serial(d, () => this.enterNow(d, state, error, slots));
  }

  /** Runs `write` after the deployment's writes before it (a cancel's, a state's, the switch's slots). */
  private async serial<T>(d: Deployment, write: () => Promise<T>): Promise<T> {
    const release = await this.writes.acquire([d.deploymentId]);
    try {
      return await write();
    } finally {
      release();
    }
  }

  /** Stores the new state (inside the deployment's turn: see serial). */
  private async enterNow(d: Deployment, state: DeployState, error?: DeployFailure, slots?: ServiceSlots): Promise<void> {
    const from = d.state;
    const next: Deployment = { ...d, state, updatedAt: this.o.clock.now() };
    if (error) next.error = { code: error.code, message: error.message };
    // The new state on disk (synced) before anything of its step happens.
    await this.o.store.save(next, slots);
    Object.assign(d, next);
    if (slots) this.slots.set(d.name, slots);
    await this.o.credentials?.settle(d).catch((err: unknown) => this.o.log.warn({ err, deploymentId: d.deploymentId }, 'cannot remove download credentials'));
    this.announce(d, from);
  }

  private async finish(d: Deployment): Promise<void> {
    if (this.unfinished.get(d.name) === d) this.unfinished.delete(d.name);
    this.lastProgress.delete(d.name);
    await this.o.steps.clean(d, keptVersions(this.slotsOf(d.name))).catch((err: unknown) => this.o.log.warn({ err, service: d.name }, 'cannot remove old versions'));
    const finished = (await this.o.store.all()).filter((x) => FINAL_STATES.has(x.state));
    await this.o.store.prune(d.name, finished).catch(() => undefined);
  }

  /** A DOWNLOADING event with bytes and total, at most every PROGRESS_EVERY_MS per service. */
  progress(d: Deployment, bytes: number, total: number | undefined): void {
    d.bytes = bytes;
    if (total !== undefined) d.total = total;
    const now = this.o.clock.now();
    const last = this.lastProgress.get(d.name) ?? 0;
    if (now - last < PROGRESS_EVERY_MS && bytes !== total) return;
    this.lastProgress.set(d.name, now);
    this.o.events.emit({ kind: 'deploy', deploymentId: d.deploymentId, name: d.name, version: d.version, state: d.state, bytes, ...(total !== undefined ? { total } : {}), at: now });
  }

  private announce(d: Deployment, from?: DeployState): void {
    const level = d.state === 'FAILED' || d.state === 'ROLLING_BACK' ? 'warn' : 'info';
    this.o.log[level]({ deploymentId: d.deploymentId, service: d.name, version: d.version, state: d.state, from, error: d.error }, 'deployment state');
    this.o.events.emit({
      kind: 'deploy',
      deploymentId: d.deploymentId,
      name: d.name,
      version: d.version,
      state: d.state,
      ...(from ? { from } : {}),
      ...(d.error && (d.state === 'FAILED' || d.state === 'ROLLING_BACK' || d.state === 'ROLLED_BACK') ? { error: d.error } : {}),
      at: d.updatedAt,
    });
  }

  private pause(): Promise<void> {
    const ms = this.o.stepPauseMs ?? 0;
    return ms > 0 ? new Promise((resolve) => this.o.clock.setTimeout(resolve, ms)) : Promise.resolve();
  }
}

const codeFor = (state: DeployState): DeployErrorCode =>
  state === 'DOWNLOADING' ? 'DOWNLOAD' : state === 'VERIFYING' ? 'INTEGRITY' : state === 'INSTALLING' ? 'INSTALL' : 'GATE';

/** The versions a service's slots keep on disk. */
export function keptVersions(slots: ServiceSlots): Set<string> {
  return new Set([slots.active?.version, slots.previous?.version].filter((v): v is string => v !== undefined));
}
