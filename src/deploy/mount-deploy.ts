// Deployments in the agent: the slots read before the supervisor starts (the executor starts each service's
// version from them), the engine once the supervisor exists, and the resumption of what a crash left.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { Executor } from '../executor/executor.js';
import type { Registry } from '../registry/registry.js';
import type { Store } from '../store/store.js';
import type { ServiceControl } from '../supervisor/service-control.js';
import { trustedKeysOf } from './artifact-integrity.js';
import { ArtifactSteps } from './artifact-steps.js';
import { DownloadCredentials } from './download-credentials.js';
import { DeployEngine } from './deploy-engine.js';
import { DeployStore } from './deploy-store.js';
import { ContainerSteps } from './container-steps.js';
import { DockerEngine } from '../docker/engine-client.js';
import type { ServiceSlots } from './deployment.js';
import { freeBytes } from './disk-space.js';
import { stopStrays } from './stray-processes.js';
import { versionedExecutor } from './versioned-executor.js';
import { withVersions } from './versioned-services.js';

export class DeployMount {
  private engine?: DeployEngine;

  private constructor(
    private readonly config: Config,
    private readonly store: DeployStore,
    private readonly slots: Map<string, ServiceSlots>,
  ) {}

  static async open(config: Config, store: Store): Promise<DeployMount> {
    const deployStore = new DeployStore(store);
    const slots = new Map((await deployStore.slots()).map((s) => [s.name, s]));
    return new DeployMount(config, deployStore, slots);
  }

  /**
   * The executor that starts each service's active version. Called at start, before the supervisor: processes
   * of deployed versions that an earlier agent left (see stray-processes.ts) are stopped first.
   */
  async executor(inner: Executor, log: Logger): Promise<Executor> {
    const exec = this.config.executor;
    // Services with `start` always run under the process executor, whatever the default is.
    await stopStrays(join(this.config.dataDir, 'versions'), exec.type === 'process' ? exec.stopGraceMs : 5_000, log);
    return versionedExecutor(inner, this.config.dataDir, (name) => this.slots.get(name)?.active);
  }

  /** ServiceControl whose views carry `version`. */
  services(inner: ServiceControl): ServiceControl {
    return withVersions(inner, (name) => this.slots.get(name)?.active?.version);
  }

  async start(o: { registry: Registry; services: ServiceControl; events: EventBus; clock: Clock; log: Logger }): Promise<DeployEngine> {
    const { config } = this;
    let trustedKeys;
    try {
      trustedKeys = trustedKeysOf(config.deploy.trustedKeys);
    } catch (err) {
      throw new ConfigError([`deploy.trustedKeys: ${(err as Error).message}`]);
    }
    let engine!: DeployEngine;
    const credentials = new DownloadCredentials(config.dataDir);
    const steps = new ArtifactSteps({
      credentials,
      dataDir: config.dataDir,
      allowedHosts: config.deploy.allowedHosts,
      maxArtifactBytes: config.deploy.maxArtifactBytes,
      downloadTimeoutMs: config.deploy.downloadTimeoutMs,
      signatures: { trustedKeys, requireSignature: config.deploy.requireSignature },
      freeBytes,
      pause: (ms) => new Promise((resolve) => o.clock.setTimeout(resolve, ms)),
      progress: (d, bytes, total) => engine.progress(d, bytes, total),
    });
    engine = new DeployEngine({ ...o, store: this.store, steps, slots: this.slots, stepPauseMs: config.deploy.stepPauseMs, defaultGate: config.deploy.gate, requireSignature: config.deploy.requireSignature, credentials,
      containers: new ContainerSteps(new DockerEngine(config.executor.docker.socket), config.dataDir),
    });
    await engine.load();
    const swept = await steps.sweepDownloads(engine.unfinishedIds());
    if (swept.length) o.log.info({ files: swept }, 'removed downloads of deployments that had ended');
    this.engine = engine;
    return engine;
  }

  /** After the supervisor has started: unfinished deployments go on. */
  resume(): void {
    this.engine?.resume();
  }

  async close(): Promise<void> {
    await this.engine?.close();
  }
}
