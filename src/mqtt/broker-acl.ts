// What each role may publish and subscribe on the embedded broker (README "Roles"). Topic matching is
// qlobber's (MQTT wildcards), never a string prefix; a subscription is allowed only when one allowed
// filter covers all of it.
import { requireCommonJs } from '../commonjs.js';
import type { Principal } from '../policy/principal.js';

const { QlobberTrue } = requireCommonJs('qlobber') as typeof import('qlobber');
const MQTT_WILDCARDS = { separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true };

/** Filters with `{u}` for the username; usernames hold no '/', '+' or '#' (config schema). */
const PUBLISH: Record<Principal['role'], string[]> = {
  operator: ['request/+', 'heartbeat/device/+', 'heartbeat/service/+', 'plugin/+/devices', 'plugin/+/trust'],
  service: [
    'heartbeat/service/{u}',
    'plugin/{u}/devices',
    'plugin/{u}/trust',
    'request/registry.register',
    'request/registry.deregister',
    'request/config.get',
    'request/services.health',
  ],
  device: ['heartbeat/device/{u}'],
};

const SUBSCRIBE: Record<Principal['role'], string[]> = {
  // An operator reads everything: answers, events, every agent's retained status (CLI discovery), and services'
  // output and alerts (event/log, event/alert), which no other role may read.
  operator: ['#'],
  // One level under its name, not `#`: `R/response/{u}/#` would also match `R/response/{u}`, an
  // operator's answer to the correlationId `{u}`.
  service: ['{R}/plugin/{u}/reregister', '{R}/response/{u}/+'],
  device: [],
};

export interface PrincipalAcl {
  mayPublish(topic: string): boolean;
  maySubscribe(filter: string): boolean;
}

export function aclFor(principal: Principal, root: string): PrincipalAcl {
  const fill = (f: string): string => f.replaceAll('{u}', principal.username).replaceAll('{R}', root);
  const publish = new QlobberTrue(MQTT_WILDCARDS);
  for (const f of PUBLISH[principal.role]) publish.add(`${root}/${fill(f)}`);
  const subscribe = SUBSCRIBE[principal.role].map(fill);
  const reads = new QlobberTrue(MQTT_WILDCARDS);
  for (const f of subscribe) reads.add(f);
  return {
    mayPublish: (topic) => publish.test(topic),
    maySubscribe: (filter) => (/[+#]/.test(filter) ? subscribe.some((allowed) => filterCovers(allowed, filter)) : reads.test(filter)),
  };
}

/** Whether every topic `requested` matches is matched by `allowed` (both MQTT filters). */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '#') return true;
    if (i >= r.length || r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (r[i] === '+' || a[i] !== r[i]) return false;
  }
  return a.length === r.length;
}

/** The agent's tree: no client publishes a retained message there (only the agent's own status is retained). */
export function inTree(topic: string, root: string): boolean {
  return topic === root || topic.startsWith(`${root}/`);
}
