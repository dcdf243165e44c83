// The HTTP front: GET /health (JSON) and GET /metrics (Prometheus text). Read-only.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Intake } from '../inbox/command.js';
import type { ServiceView } from '../model.js';
import { renderPrometheus, type MetricsSnapshot } from './prometheus.js';

export interface AgentHealth {
  status: 'UP' | 'DEGRADED';
  checks: Record<string, string>;
}

export interface HttpFrontOptions {
  host: string;
  port: number;
  intake: Intake;
  counters: () => Omit<MetricsSnapshot, 'services'>;
  health: () => AgentHealth;
  log: Logger;
}

export class HttpFront {
  private server?: Server;

  constructor(private readonly o: HttpFrontOptions) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      if (url === '/health') {
        const h = this.o.health();
        res.writeHead(h.status === 'UP' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(h));
        return;
      }
      if (url === '/metrics') {
        this.metrics().then(
          (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
          (err) => {
            this.o.log.warn({ err }, 'metrics failed');
            res.writeHead(500).end();
          },
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.server = server;
    this.o.log.info({ host: this.o.host, port: this.port }, 'HTTP listening');
  }

  private async metrics(): Promise<string> {
    const ticket = await this.o.intake.accept({ op: 'services.list', body: { includeDeregistered: true }, origin: 'http' });
    const reply = await ticket.done;
    const services = reply.ok ? (reply.result as ServiceView[]) : [];
    return renderPrometheus({ services, ...this.o.counters() });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
