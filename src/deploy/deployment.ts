// A deployment's data (CONTRACT section 13): the request as accepted, its state, and what a service runs.
import type { StartSpec } from '../model.js';
import type { Artifact, ImageArtifact } from '../operations/deploy-schemas.js';

export type { Artifact, DeployRequest } from '../operations/deploy-schemas.js';

export const DEFAULT_GATE = { healthyForMs: 30_000, timeoutMs: 120_000 };

/** The steps in order; each is stored before it starts. */
export type ActiveState = 'DOWNLOADING' | 'VERIFYING' | 'INSTALLING' | 'SWITCHING' | 'GATING' | 'ROLLING_BACK';
/** A held deployment (`hold`) rests here, downloaded and verified, until it is installed or discarded. */
export type RestingState = 'DELIVERED';
export type FinalState = 'DONE' | 'ROLLED_BACK' | 'FAILED';
export type DeployState = ActiveState | RestingState | FinalState;

export const FINAL_STATES: ReadonlySet<DeployState> = new Set<DeployState>(['DONE', 'ROLLED_BACK', 'FAILED']);

export type DeployErrorCode = 'INTEGRITY' | 'NO_SPACE' | 'DOWNLOAD' | 'INSTALL' | 'GATE' | 'INTERRUPTED';

export interface DeployError {
  code: DeployErrorCode;
  message: string;
}

/** What a service runs: a deployed version with the start template it came with; no version is the registration's own start. */
export interface Slot {
  version?: string;
  /** The deployment's own `start` (a template: `{version}`, relative cwd); absent: the registration's. */
  template?: StartSpec;
  /** A container service's image for this slot. */
  image?: string;
}

export interface Deployment {
  deploymentId: string;
  name: string;
  version: string;
  /** `rollback` switches back to `target` without a download. */
  kind: 'deploy' | 'rollback';
  artifact?: Artifact | ImageArtifact;
  /** The container a container service's deployment re-creates (CONTRACT 12); absent for a process service. */
  container?: string;
  /** What will run when this deployment succeeds. */
  target: Slot;
  /** The service's slots when it was accepted: what a failure after the switch goes back to. */
  before: ServiceSlots;
  gate: { healthyForMs: number; timeoutMs: number };
  state: DeployState;
  /** The state before the failure that started ROLLING_BACK, and the error. */
  error?: DeployError;
  bytes?: number;
  total?: number;
  /** Rest at DELIVERED after VERIFYING. */
  hold?: boolean;
  /** When an operator cancelled it (stored before the cancel acts: a restart finds it, see cancel-rules.ts), and who. */
  cancelledAt?: number;
  cancelledBy?: string;
  /** Installing again (LwM2M Install after a failed one): the failed deployment this repeats. */
  reinstallOf?: string;
  /** An ended deployment whose package an Uninstall "for update" dropped (object 9 reads INITIAL again). */
  discarded?: boolean;
  createdAt: number;
  updatedAt: number;
}

/** What each service runs now and what a rollback would go back to; kept beside the deployments. */
export interface ServiceSlots {
  name: string;
  active?: Slot;
  previous?: Slot;
}

export class DeployFailure extends Error {
  constructor(
    readonly code: DeployErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DeployFailure';
  }
}

export const slotVersion = (slot: Slot | undefined): string | undefined => slot?.version;
