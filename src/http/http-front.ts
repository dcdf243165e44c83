// The HTTP front: one server, one router; route modules (agent, Core Keeper, SMA system API, status page) mount onto it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { asSmaError } from '../errors.js';
import { LogThrottle } from '../log-throttle.js';
import type { Clock } from '../clock.js';
import { httpStatusOf, sendJson } from './respond.js';
import type { HttpAuthenticator } from './http-auth.js';
import { BUSY } from '../security/credential-gate.js';
import { Router, type HttpPrincipal, type RequestContext, type RouteEntry } from './router.js';
import { accessRefusal, correlationIdOf, crossSiteRefusal, hostRefusal, type Refusal } from './request-guard.js';

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
  /** Whether the listener is on loopback: requests must then name a loopback Host. */
  loopback: boolean;
  clock: Clock;
  log: Logger;
}

const REFUSED = Symbol('refused');

export class HttpFront {
  private server?: Server;
  private readonly router = new Router();
  private readonly refusals: LogThrottle;

  constructor(private readonly o: HttpFrontOptions) {
    for (const mount of o.routes) mount(this.router);
    this.refusals = LogThrottle.of(o.log, o.clock);
  }

  /** The route table, for the attack tests (every route is attacked, however it was added). */
  routeTable(): RouteEntry[] {
    return this.router.table();
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

  /**
   * Every request, whatever route it names, in this order: a correlation id on the answer, the Host (no DNS
   * rebinding), the caller (before routing: an unauthenticated client cannot map the routes), the route, a
   * state change only as JSON from our own origin, the route's access, then the handler.
   */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-correlation-id', correlationIdOf(req, randomUUID));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent');
    } catch {
      return sendJson(res, 400, { code: 'INVALID_REQUEST', message: 'bad request target' });
    }
    const path = url.pathname.slice(0, 256);
    const foreignHost = hostRefusal(req, this.o.loopback);
    if (foreignHost) return this.refuse(res, path, foreignHost);
    const caller = await this.authenticate(req, res, path);
    if (caller === REFUSED) return;
    const found = this.router.match(req.method ?? 'GET', url.pathname);
    if (!found) return sendJson(res, 404, { code: 'NOT_FOUND', message: `no route ${path}` });
    if ('allow' in found) return sendJson(res, 405, { code: 'INVALID_REQUEST', message: `${req.method} not allowed here` }, { allow: found.allow.join(', ') });
    const refusal = crossSiteRefusal(req) ?? accessRefusal(found.access, caller);
    if (refusal) return this.refuse(res, path, refusal);
    const ctx: RequestContext = { req, res, url, params: found.params, ...(caller ? { principal: caller } : {}) };
    try {
      await found.handler(ctx);
    } catch (err) {
      // Route modules answer their own errors in their API's shape; this is the last resort.
      const e = asSmaError(err);
      if (e.code === 'INTERNAL') this.o.log.error({ err, path }, 'HTTP handler failed');
      else this.refusals.warn({ path, err: e.message.slice(0, 512) }, 'HTTP request refused');
      if (!res.headersSent) sendJson(res, httpStatusOf(e.code), e.toJSON());
      else res.destroy();
    }
  }

  /** The caller with users configured; undefined without (loopback: the local operator); REFUSED once answered. */
  private async authenticate(req: IncomingMessage, res: ServerResponse, path: string): Promise<HttpPrincipal | undefined | typeof REFUSED> {
    if (!this.o.authenticator) return undefined;
    const caller = await this.o.authenticator.authenticate(req);
    if (caller === BUSY) {
      sendJson(res, 503, { code: 'UNAVAILABLE', message: 'too many logins being checked; try again' }, { 'retry-after': '1' });
      return REFUSED;
    }
    if (caller) return caller;
    this.refusals.warn({ path }, 'HTTP request without valid credentials');
    sendJson(res, 401, { code: 'FORBIDDEN', message: 'credentials required' }, { 'www-authenticate': 'Basic realm="sma-bridge", Bearer' });
    return REFUSED;
  }

  private refuse(res: ServerResponse, path: string, r: Refusal): void {
    this.refusals.warn({ path, status: r.status }, `HTTP request refused: ${r.message}`);
    // `error` as the status page reads it, `code`/`message` as the agent's routes answer, `statusCode` as EdgeX's.
    sendJson(res, r.status, { ok: false, statusCode: r.status, code: r.code, message: r.message, error: { code: r.code, message: r.message } }, { 'cache-control': 'no-store' });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
