// The HTTP front (CONTRACT sections 7 and 8), wired: the listener the configuration allows
// (http-transport-plan.ts), its users, TLS, every route module (http-routes.ts) and the status page's feed.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { SmaEvent } from '../events.js';
import type { Intake } from '../inbox/command.js';
import { isLoopback } from '../policy/loopback.js';
import type { CredentialGate } from '../security/credential-gate.js';
import { VERSION } from '../version.js';
import type { AgentRoutesOptions } from './agent-routes.js';
import { HttpAuthenticator } from './http-auth.js';
import { HttpFront } from './http-front.js';
import { httpRoutes } from './http-routes.js';
import { httpTransportPlan } from './http-transport-plan.js';
import { publicConfig } from './public-config.js';
import { StatusFeed } from './status-feed.js';

export interface HttpMount extends Pick<AgentRoutesOptions, 'counters' | 'health'> {
  config: Config;
  /** Every front's credential checks share one gate. */
  logins: CredentialGate;
  intake: Intake;
  subscribe: (listener: (event: SmaEvent) => void) => () => void;
  trustCounts: () => { devices: number; trusted: number };
  clock: Clock;
  log: Logger;
}

/** Listens and serves; returns the port it listens on and its stop (the status pages closed first). */
export async function mountHttp(m: HttpMount): Promise<{ port: number; stop: () => Promise<void> }> {
  const { config, clock, log } = m;
  const h = config.http;
  const feed = new StatusFeed({ intake: m.intake, subscribe: m.subscribe, trustCounts: m.trustCounts, now: () => clock.now(), log });
  const plan = httpTransportPlan({ host: h.host, users: h.users?.length ?? 0, tls: h.cert !== undefined, allowPlaintext: h.allowPlaintext });
  if (plan.errors.length) throw new ConfigError(plan.errors);
  for (const w of plan.warnings) log.warn({ insecure: true }, w);
  const http = new HttpFront({
    host: h.host,
    port: h.port,
    loopback: isLoopback(h.host),
    clock,
    log,
    ...(h.users?.length ? { authenticator: new HttpAuthenticator(h.users, m.logins, () => clock.now()) } : {}),
    ...(h.cert && h.key ? { tls: { cert: readFileSync(h.cert), key: readFileSync(h.key) } } : {}),
    routes: httpRoutes({
      intake: m.intake,
      feed,
      info: { serviceName: config.agent.id, version: VERSION, publicConfig: () => publicConfig(config) },
      checkIntervalMs: config.health.intervalMs,
      counters: m.counters,
      health: m.health,
    }),
  });
  await http.start();
  feed.start();
  return {
    port: http.port,
    stop: async () => {
      feed.stop();
      await http.stop();
    },
  };
}
