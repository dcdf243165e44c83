// What cancelling a deployment does in each of its states (README "Cancelling a deployment"). Before SWITCHING
// nothing of the running version has been touched (the artifact is a file of its own, the unpack goes to a
// directory no slot runs), so a cancel ends it FAILED with INTERRUPTED and its files are removed. From SWITCHING
// on the new version may already run: the only safe way back is the engine's own rollback (stored, gated,
// repeated whole after a crash), so a cancel starts ROLLING_BACK. A rollback under way is not cancelled: stopping
// it half-way could leave the service with no version that has passed a gate.
import { DeployFailure, FINAL_STATES, type DeployState } from './deployment.js';

export type CancelEffect = 'FAILED' | 'ROLLING_BACK' | 'REFUSED' | 'ENDED';

export function cancelEffect(state: DeployState): CancelEffect {
  if (FINAL_STATES.has(state)) return 'ENDED';
  switch (state) {
    case 'DOWNLOADING':
    case 'VERIFYING':
    case 'INSTALLING':
    case 'DELIVERED':
      return 'FAILED';
    case 'SWITCHING':
    case 'GATING':
      return 'ROLLING_BACK';
    default:
      return 'REFUSED';
  }
}

/** The error a cancelled deployment ends with (the contract's INTERRUPTED, as for a discarded package). */
export const cancelFailure = (by: string | undefined): DeployFailure => new DeployFailure('INTERRUPTED', `cancelled${by ? ` by ${by}` : ''}`);

/** The failure an aborted step rejects with; the engine replaces it with cancelFailure. */
export const abortedStep = (): DeployFailure => new DeployFailure('INTERRUPTED', 'cancelled');
