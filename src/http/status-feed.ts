// What the status page shows, kept current from the event bus and pushed to every open page as
// server-sent events. Events are coalesced: a burst of trust changes or restarts becomes one update
// per `coalesceMs`, read once through the inbox and written to all pages, however many are open.
import type { ServerResponse } from 'node:http';
import { LOCAL_OPERATOR } from '../policy/principal.js';
import type { Logger } from 'pino';
import type { SmaEvent } from '../events.js';
import type { Intake } from '../inbox/command.js';
import type { HealthView, ServiceView } from '../model.js';
import type { DeploymentsAnswer, DeploymentView } from '../deploy/deployment-view.js';

export interface StatusSnapshot {
  agent: Record<string, unknown>;
  services: ServiceView[];
  trust: { devices: number; trusted: number };
  /** The rules FIRING now (CONTRACT section 15). */
  alerts?: unknown[];
  /** Each service's last check (its detail says why it is DOWN): the page's "why" column. */
  health: Record<string, { detail?: string; checkedAt?: string }>;
  /** Each service's latest deployment (services.deployments): the page shows it and holds the buttons it holds. */
  deployments?: DeploymentView[];
  at: string;
}

export interface StatusFeedOptions {
  intake: Intake;
  subscribe: (listener: (event: SmaEvent) => void) => () => void;
  trustCounts: () => { devices: number; trusted: number };
  now: () => number;
  log: Logger;
  /** At most one update per this long (default 100 ms). */
  coalesceMs?: number;
  /** An SSE comment this often keeps idle connections through proxies (default 25 s). */
  keepAliveMs?: number;
  /** Open pages at most (default 32): each holds a socket, and a client must not make us hold unbounded many. */
  maxPages?: number;
}

export class StatusFeed {
  private readonly pages = new Set<ServerResponse>();
  private unsubscribe?: () => void;
  private pending?: NodeJS.Timeout;
  private keepAlive?: NodeJS.Timeout;
  private reading = false;
  private dirty = false;
  /** DOWNLOADING's bytes by deployment, from its events (the store keeps states, not each event's progress). */
  private readonly progress = new Map<string, { bytes?: number; total?: number }>();

  constructor(private readonly o: StatusFeedOptions) {}

  start(): void {
    this.unsubscribe = this.o.subscribe((event) => {
      if (event.kind === 'deploy') {
        if (event.state === 'DOWNLOADING' && event.bytes !== undefined) this.progress.set(event.deploymentId, { bytes: event.bytes, total: event.total });
        else this.progress.delete(event.deploymentId);
      }
      if (event.kind === 'service' || event.kind === 'trust' || event.kind === 'agent' || event.kind === 'alert' || event.kind === 'deploy') this.schedule();
    });
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), this.o.keepAliveMs ?? 25_000);
    this.keepAlive.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    clearTimeout(this.pending);
    clearInterval(this.keepAlive);
    for (const page of this.pages) page.end();
    this.pages.clear();
  }

  /** Takes an SSE request: headers, the current snapshot at once, then every update until it closes. */
  async attach(res: ServerResponse): Promise<void> {
    if (this.pages.size >= (this.o.maxPages ?? 32)) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '10' });
      res.end(JSON.stringify({ ok: false, error: { code: 'UNAVAILABLE', message: 'too many open status pages' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.pages.add(res);
    res.once('close', () => this.pages.delete(res));
    const snapshot = await this.snapshot();
    if (!res.writableEnded) res.write(frame('snapshot', snapshot));
  }

  /** The page's state, read through the same operations as every other front. */
  async snapshot(): Promise<StatusSnapshot> {
    const [services, agent, checks, alerts, deploys] = await Promise.all([
      this.read('services.list'),
      this.read('agent.info'),
      this.read('services.health'),
      this.read('alerts.list'),
      this.read('services.deployments'),
    ]);
    // A null-prototype map: service names are data.
    const health: StatusSnapshot['health'] = Object.create(null) as StatusSnapshot['health'];
    for (const h of (Array.isArray(checks) ? checks : []) as HealthView[]) health[h.name] = { detail: h.detail, checkedAt: h.checkedAt };
    return {
      agent: (agent ?? {}) as Record<string, unknown>,
      services: (Array.isArray(services) ? services : []) as ServiceView[],
      health,
      trust: this.o.trustCounts(),
      // The rules FIRING now (CONTRACT section 15).
      alerts: (Array.isArray(alerts) ? alerts : []).filter((a: { state?: string }) => a.state === 'FIRING'),
      deployments: latestPerService((deploys as DeploymentsAnswer | undefined)?.deployments ?? []).map((d) => ({ ...d, ...this.progress.get(d.deploymentId) })),
      at: new Date(this.o.now()).toISOString(),
    };
  }

  private async read(op: 'services.list' | 'agent.info' | 'services.health' | 'alerts.list' | 'services.deployments'): Promise<unknown> {
    // The page's feed reads on the agent's own behalf; who may watch it is the router's decision.
    const ticket = await this.o.intake.accept({ op, body: {}, origin: 'http', principal: LOCAL_OPERATOR });
    const reply = await ticket.done;
    ticket.afterSent();
    return reply.ok ? reply.result : undefined;
  }

  private schedule(): void {
    if (this.pages.size === 0) return;
    // An event during a read may have missed it: read once more after.
    if (this.reading) this.dirty = true;
    if (this.pending || this.reading) return;
    this.pending = setTimeout(() => void this.push(), this.o.coalesceMs ?? 100);
  }

  private async push(): Promise<void> {
    this.pending = undefined;
    this.reading = true;
    this.dirty = false;
    try {
      this.write(frame('snapshot', await this.snapshot()));
    } catch (err) {
      this.o.log.warn({ err }, 'status page update failed');
    } finally {
      this.reading = false;
      if (this.dirty) this.schedule();
    }
  }

  private write(chunk: string): void {
    for (const page of this.pages) page.write(chunk);
  }
}

/** The newest deployment of each service (the list comes oldest first): the one in progress, or how the last ended. */
function latestPerService(list: DeploymentView[]): DeploymentView[] {
  const latest = new Map<string, DeploymentView>();
  for (const d of list) latest.set(d.name, d);
  return [...latest.values()];
}

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
