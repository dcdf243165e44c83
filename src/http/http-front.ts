// The HTTP front: one server, one router; route modules (agent, Core Keeper, SMA system API, status page) mount onto it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { asSmaError } from '../errors.js';
import { LogThrottle } from '../log-throttle.js';
import type { Clock } from '../clock.js';
import { httpStatusOf, sendJson } from './respond.js';
import type { HttpAuthenticator } from './http-auth.js';
import { BUSY } from '../security/credential-gate.js';
import { Router, type HttpPrincipal, type RequestContext } from './router.js';

/** A route module: adds its routes to the router. */
export type MountRoutes = (router: Router) => void;

export interface HttpFrontOptions {
  host: string;
  port: number;
  routes: MountRoutes[];
  /** With users configured: every request must authenticate (401 otherwise). */
  authenticator?: HttpAuthenticator;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  clock: Clock;
  log: Logger;
}

export class HttpFront {
  private server?: Server;
  private readonly router = new Router();
  private readonly refusals: LogThrottle;

  constructor(private readonly o: HttpFrontOptions) {
    for (const mount of o.routes) mount(this.router);
    this.refusals = LogThrottle.of(o.log, o.clock);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    // node:https only when TLS is configured: a few MB of idle RSS otherwise (BENCHMARKS.md).
    const server = this.o.tls ? (await import('node:https')).createServer({ cert: this.o.tls.cert, key: this.o.tls.key }, onRequest) : createServer(onRequest);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.server = server;
    this.o.log.info({ host: this.o.host, port: this.port }, 'HTTP listening');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent');
    } catch {
      sendJson(res, 400, { code: 'INVALID_REQUEST', message: 'bad request target' });
      return;
    }
    const found = this.router.match(req.method ?? 'GET', url.pathname);
    if (!found) {
      sendJson(res, 404, { code: 'NOT_FOUND', message: `no route ${url.pathname.slice(0, 256)}` });
      return;
    }
    if ('allow' in found) {
      sendJson(res, 405, { code: 'INVALID_REQUEST', message: `${req.method} not allowed here` }, { allow: found.allow.join(', ') });
      return;
    }
    let principal: HttpPrincipal | undefined;
    if (this.o.authenticator) {
      const caller = await this.o.authenticator.authenticate(req);
      if (caller === BUSY) {
        sendJson(res, 503, { code: 'UNAVAILABLE', message: 'too many logins being checked; try again' }, { 'retry-after': '1' });
        return;
      }
      principal = caller;
      if (!principal) {
        this.refusals.warn({ path: url.pathname.slice(0, 256) }, 'HTTP request without valid credentials');
        sendJson(res, 401, { code: 'FORBIDDEN', message: 'credentials required' }, { 'www-authenticate': 'Basic realm="sma-bridge", Bearer' });
        return;
      }
    }
    const ctx: RequestContext = { req, res, url, params: found.params, ...(principal ? { principal } : {}) };
    try {
      await found.handler(ctx);
    } catch (err) {
      // Route modules answer their own errors in their API's shape; this is the last resort.
      const e = asSmaError(err);
      if (e.code === 'INTERNAL') this.o.log.error({ err, path: url.pathname }, 'HTTP handler failed');
      else this.refusals.warn({ path: url.pathname.slice(0, 256), err: e.message.slice(0, 512) }, 'HTTP request refused');
      if (!res.headersSent) sendJson(res, httpStatusOf(e.code), e.toJSON());
      else res.destroy();
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
