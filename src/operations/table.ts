// The one table from operation name to function. Every front reaches operations through it (via the inbox).
import type { OperationOutcome, Ports } from './ports.js';
import type { OperationName, RequestOf } from './schemas.js';
import { isRules, type Principal } from '../policy/principal.js';
import { agentInfo, trustGet } from './agent.js';
import { configGet, configSet } from './config.js';
import { kvDelete, kvGet, kvPut } from './kv.js';
import { registryDeregister, registryEntries, registryRegister } from './registry.js';
import { alertsList, servicesHistory, servicesLogs } from './watch.js';
import { servicesCancel, servicesDeploy, servicesDeployments, servicesDiscard, servicesInstall, servicesRollback } from './deploy.js';
import { servicesBatch, servicesHealth, servicesList, servicesMetrics } from './services.js';

/** `caller` is whoever the inbox let through; most operations do not need to know. */
type Run<N extends OperationName> = (ports: Ports, req: RequestOf<N>, caller: Principal) => Promise<OperationOutcome>;

export const operations: { [N in OperationName]: Run<N> } = {
  'services.list': servicesList,
  'services.health': servicesHealth,
  'services.metrics': servicesMetrics,
  'services.start': (p, r) => servicesBatch(p, 'start', r),
  'services.stop': (p, r) => servicesBatch(p, 'stop', r),
  'services.restart': (p, r, caller) => servicesBatch(p, 'restart', r, isRules(caller)),
  'config.get': configGet,
  'config.set': configSet,
  'registry.register': registryRegister,
  'registry.deregister': registryDeregister,
  'trust.get': trustGet,
  'agent.info': agentInfo,
  'registry.entries': registryEntries,
  'kv.get': kvGet,
  'kv.put': kvPut,
  'kv.delete': kvDelete,
  'services.logs': servicesLogs,
  'services.history': servicesHistory,
  'alerts.list': alertsList,
  'services.deploy': servicesDeploy,
  'services.deployments': servicesDeployments,
  'services.rollback': servicesRollback,
  'services.install': servicesInstall,
  'services.discard': servicesDiscard,
  'services.cancel': servicesCancel,
};

/** Operations that change nothing: they need no journal entry and take no service lock. */
export const readOnly: ReadonlySet<OperationName> = new Set([
  'services.list',
  'services.health',
  'services.metrics',
  'config.get',
  'trust.get',
  'agent.info',
  'registry.entries',
  'kv.get',
  'services.logs',
  'services.history',
  'alerts.list',
  'services.deployments',
]);
