// `services.deployments` as the contract shows it: deployments with ISO times, and each service's versions.
import type { DeployError, Deployment, DeployState } from './deployment.js';

export interface DeploymentView {
  deploymentId: string;
  name: string;
  version: string;
  kind: Deployment['kind'];
  state: DeployState;
  error?: DeployError;
  bytes?: number;
  total?: number;
  /** An addition to the contract's view: when the deployment was cancelled (services.cancel), and by whom. */
  cancelledAt?: string;
  cancelledBy?: string;
  reinstallOf?: string;
  discarded?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentsAnswer {
  deployments: DeploymentView[];
  services: Array<{ name: string; current?: string; previous?: string }>;
}

export function deploymentView(d: Deployment): DeploymentView {
  const view: DeploymentView = {
    deploymentId: d.deploymentId,
    name: d.name,
    version: d.version,
    kind: d.kind,
    state: d.state,
    createdAt: new Date(d.createdAt).toISOString(),
    updatedAt: new Date(d.updatedAt).toISOString(),
  };
  if (d.error) view.error = d.error;
  if (d.bytes !== undefined) view.bytes = d.bytes;
  if (d.total !== undefined) view.total = d.total;
  if (d.cancelledAt !== undefined) view.cancelledAt = new Date(d.cancelledAt).toISOString();
  if (d.cancelledBy !== undefined) view.cancelledBy = d.cancelledBy;
  if (d.reinstallOf !== undefined) view.reinstallOf = d.reinstallOf;
  if (d.discarded) view.discarded = true;
  return view;
}
