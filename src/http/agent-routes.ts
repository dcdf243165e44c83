// The agent's own read-only routes: GET /health (JSON) and GET /metrics (Prometheus text).
import type { Intake } from '../inbox/command.js';
import { LOCAL_OPERATOR } from '../policy/principal.js';
import type { ServiceView } from '../model.js';
import { renderPrometheus, type MetricsSnapshot } from './prometheus.js';
import { sendJson } from './respond.js';
import type { Router } from './router.js';

export interface AgentHealth {
  status: 'UP' | 'DEGRADED';
  checks: Record<string, string>;
}

export interface AgentRoutesOptions {
  intake: Intake;
  counters: () => Omit<MetricsSnapshot, 'services'>;
  health: () => AgentHealth;
}

export function mountAgentRoutes(router: Router, o: AgentRoutesOptions): void {
  // Whether the agent is up is anyone's to ask; every service's state (/metrics) is an operator's.
  router.get(
    '/health',
    ({ res }) => {
      const h = o.health();
      sendJson(res, h.status === 'UP' ? 200 : 503, h);
    },
    'caller',
  );
  router.get('/metrics', async ({ res, principal }) => {
    const ticket = await o.intake.accept({ op: 'services.list', body: { includeDeregistered: true }, origin: 'http', principal: principal ?? LOCAL_OPERATOR });
    const reply = await ticket.done;
    const services = reply.ok ? (reply.result as ServiceView[]) : [];
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderPrometheus({ services, ...o.counters() }));
  });
}
