// A deployment under way owns its service's lifecycle (CONTRACT section 13, clarified in README "Deployments"):
// its SWITCHING stops and starts the service, its gate fails on a stop or an exit, its rollback starts the
// previous version again. An operator's start, stop, restart or deregistration meanwhile would race the switch,
// fail the gate (a stop while GATING rolls the release back) or be undone by the switch, so it is refused with
// CONFLICT naming the deployment; the engine's own steps go to the supervisor directly and are not refused.
import { conflict, type SmaError } from '../errors.js';
import type { Ports } from './ports.js';

/** CONFLICT when a deployment of `name` is in progress; undefined when the service is the operator's. */
export function heldByDeployment(ports: Ports, name: string): SmaError | undefined {
  const d = ports.deploy?.inProgress(name);
  if (!d) return undefined;
  return conflict(`${name} has a deployment in progress (${d.deploymentId}, ${d.state}): it switches and rolls back the service itself; try again once the deployment has ended`);
}
