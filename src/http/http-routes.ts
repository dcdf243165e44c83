// Every route module of the HTTP front, in one list: the agent's own routes and status page, EdgeX Core
// Keeper's API and the SMA system API. The composition root mounts this list, and the attack tests read the
// same list's route table, so a route added here is attacked without anyone writing a test for it.
import type { Intake } from '../inbox/command.js';
import { mountAgentRoutes, type AgentRoutesOptions } from './agent-routes.js';
import type { MountRoutes } from './http-front.js';
import { intakeCaller } from './intake-call.js';
import { mountKeeperRoutes } from './keeper-routes.js';
import type { ServiceInfo } from './service-info.js';
import type { StatusFeed } from './status-feed.js';
import { mountStatusPage } from './status-page.js';
import { mountSystemRoutes } from './system-routes.js';
import { mountWatchRoutes } from './watch-routes.js';
import { mountDeployRoutes } from './deploy-routes.js';

export interface HttpRouteDeps extends Omit<AgentRoutesOptions, 'intake'> {
  intake: Intake;
  feed: StatusFeed;
  info: ServiceInfo;
  /** health.intervalMs, which Keeper's listing states for checks that name no interval of their own. */
  checkIntervalMs: number;
}

export function httpRoutes(d: HttpRouteDeps): MountRoutes[] {
  const call = intakeCaller(d.intake);
  return [
    (router) => mountAgentRoutes(router, { intake: d.intake, counters: d.counters, health: d.health }),
    (router) => mountStatusPage(router, { intake: d.intake, feed: d.feed }),
    (router) => mountKeeperRoutes(router, { call, checkIntervalMs: d.checkIntervalMs, ...d.info }),
    (router) => mountSystemRoutes(router, { call, ...d.info }),
    (router) => mountWatchRoutes(router, { call }),
    (router) => mountDeployRoutes(router, { call }),
  ];
}
