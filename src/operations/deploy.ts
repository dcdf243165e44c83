// services.deploy / services.deployments / services.rollback: answered at acceptance; the engine does the rest.
import { unavailable } from '../errors.js';
import type { DeployControl, OperationOutcome, Ports } from './ports.js';
import type { RequestOf } from './schemas.js';
import type { Principal } from '../policy/principal.js';

function engine(ports: Ports): DeployControl {
  if (!ports.deploy) throw unavailable('this agent runs no deploy engine');
  return ports.deploy;
}

export async function servicesDeploy(ports: Ports, req: RequestOf<'services.deploy'>): Promise<OperationOutcome> {
  return { result: await engine(ports).deploy(req) };
}

export async function servicesDeployments(ports: Ports, req: RequestOf<'services.deployments'>): Promise<OperationOutcome> {
  return { result: await engine(ports).list(req.name) };
}

export async function servicesRollback(ports: Ports, req: RequestOf<'services.rollback'>): Promise<OperationOutcome> {
  return { result: await engine(ports).rollback(req.name) };
}

export async function servicesInstall(ports: Ports, req: RequestOf<'services.install'>): Promise<OperationOutcome> {
  return { result: await engine(ports).install(req.name, req.auth) };
}

/** Operators only, as every operation a service is not given (policy/authorization.ts). */
export async function servicesCancel(ports: Ports, req: RequestOf<'services.cancel'>, caller: Principal): Promise<OperationOutcome> {
  return { result: await engine(ports).cancel(req.name, caller.username) };
}

export async function servicesDiscard(ports: Ports, req: RequestOf<'services.discard'>): Promise<OperationOutcome> {
  return { result: await engine(ports).discard(req.name) };
}
