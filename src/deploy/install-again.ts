// LwM2M object 9 keeps a package whose installation failed at DELIVERED, and Install may be executed again
// (OMA SwMgmt: "If executing the Install Resource failed, the state remains at DELIVERED"). The deploy engine
// keeps no package after a failure (its version directory is cleaned), so installing again is a new deployment
// of the same request, fetched again: this finds the failed one it repeats.
import type { Deployment } from './deployment.js';

/** Whether `d` failed while installing (its unpacking, switch or gate) and nothing dropped it since. */
export const failedInstall = (d: Deployment): boolean =>
  d.kind === 'deploy' &&
  (d.state === 'FAILED' || d.state === 'ROLLED_BACK') &&
  (d.error?.code === 'INSTALL' || d.error?.code === 'GATE') &&
  d.discarded !== true &&
  d.artifact !== undefined;

/** The service's latest deployment, in store order. */
export const latestOf = (all: readonly Deployment[], name: string): Deployment | undefined => all.filter((d) => d.name === name).at(-1);

/** The service's latest deployment (store order), when it is a failed install that may be installed again. */
export function installableAgain(all: readonly Deployment[], name: string): Deployment | undefined {
  const latest = latestOf(all, name);
  return latest && failedInstall(latest) ? latest : undefined;
}
