// Which LwM2M paths an agent event changes, and whether it changes the set of instances.
import type { SmaEvent } from '../events.js';
import type { Lwm2mPath } from './content/node.js';

export interface EventEffect {
  paths: Lwm2mPath[];
  /** Instances may have appeared or gone: the registration needs an Update. */
  instancesChanged: boolean;
}

const SERVICE_RESOURCE: Record<string, number[]> = {
  STATUS: [1, 14],
  HEALTH: [2],
  RESTART: [1, 9],
  GAVE_UP: [1],
  CONFIG: [8],
  EXIT: [15, 16],
};

export function effectOf(
  event: SmaEvent,
  ids: { service(name: string): number | undefined; device(deviceId: string): number | undefined },
): EventEffect | undefined {
  if (event.kind === 'service') {
    if (event.type === 'REGISTERED' || event.type === 'DEREGISTERED') return { paths: [[33000], [33001, 0], [9]], instancesChanged: true };
    const iid = ids.service(event.name);
    const rids = SERVICE_RESOURCE[event.type] ?? [];
    // Object 9's Activation State follows the status.
    const software: Lwm2mPath[] = iid !== undefined && event.type === 'STATUS' ? [[9, iid, 12]] : [];
    return { paths: iid === undefined ? [[33000]] : [...rids.map((r) => [33000, iid, r]), ...software], instancesChanged: iid === undefined };
  }
  if (event.kind === 'deploy') {
    // Object 9 (CONTRACT 13): PkgVersion, Update State and Update Result follow the service's deployment.
    const iid = ids.service(event.name);
    return { paths: iid === undefined ? [[9]] : [1, 7, 9].map((r) => [9, iid, r]), instancesChanged: false };
  }
  if (event.kind === 'alert') {
    // Firing Alerts (33000/x/17) follows the rules' states.
    const iid = ids.service(event.name);
    return iid === undefined ? undefined : { paths: [[33000, iid, 17]], instancesChanged: false };
  }
  if (event.kind === 'trust') {
    const iid = ids.device(event.deviceId);
    const appeared = iid === undefined || event.from === undefined || event.reason === 'REMOVED' || event.reason === 'REREGISTERED';
    return { paths: [iid === undefined ? [33002] : [33002, iid], [33001, 0]], instancesChanged: appeared };
  }
  return undefined;
}
