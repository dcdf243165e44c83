// The status page at `/`: the page itself, its live feed (`/events`, server-sent events) and its buttons
// (`POST /ops/services.start|stop|restart|cancel`), which go through the inbox like every other front's commands.
import { createHash } from 'node:crypto';
import { LOCAL_OPERATOR } from '../policy/principal.js';
import type { ServerResponse } from 'node:http';
import { asSmaError } from '../errors.js';
import type { Intake } from '../inbox/command.js';
import { httpStatusOf, readJson, sendJson } from './respond.js';
import type { RequestContext, Router } from './router.js';
import { PAGE_SCRIPT, PAGE_STYLE, pageHtml } from './status-page-html.js';
import type { StatusFeed } from './status-feed.js';

export interface StatusPageOptions {
  intake: Intake;
  feed: StatusFeed;
}

/** The buttons' operations (Cancel deployment's too), and the device list's one read (trust.get pages through any number of devices). */
const OPERATIONS = new Set(['services.start', 'services.stop', 'services.restart', 'services.cancel', 'trust.get']);
const MAX_BODY = 4 * 1024;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

type PageAnswer = { ok: false; error: { code: string; message: string } };

const refuse = (res: ServerResponse, status: number, code: string, message: string): void =>
  sendJson(res, status, { ok: false, error: { code, message } } satisfies PageAnswer, { 'cache-control': 'no-store' });

export function mountStatusPage(router: Router, o: StatusPageOptions): void {
  const html = Buffer.from(pageHtml());
  // Compressed once, at the first request that takes gzip: a third of the bytes over a gateway's slow
  // uplink, no work per request, and node:zlib not loaded by an agent whose page nobody opens.
  let gzipped: Promise<Buffer> | undefined;
  const compressed = (): Promise<Buffer> => (gzipped ??= import('node:zlib').then((zlib) => zlib.gzipSync(html, { level: 9 })));
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
    // Only our own inline script and style run; no frame may hold the page (its buttons stop services).
    'content-security-policy': `default-src 'none'; script-src ${hash(PAGE_SCRIPT)}; style-src ${hash(PAGE_STYLE)}; connect-src 'self'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  // The page, its feed and its buttons are an operator's (the router's default access); the front has checked
  // the Host, the caller and, for the buttons, that the request is JSON from this page's origin.
  router.get('/', async ({ req, res }) => {
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? await compressed() : html;
    const encoding: Record<string, string> = gzip ? { 'content-encoding': 'gzip' } : {};
    res.writeHead(200, { ...headers, ...encoding, 'content-length': String(body.length) }).end(req.method === 'HEAD' ? undefined : body);
  });
  router.get('/events', ({ req, res }) => (req.method === 'HEAD' ? void res.writeHead(200, { 'content-type': 'text/event-stream' }).end() : o.feed.attach(res)));
  router.add('POST', '/ops/:op', (ctx) => operate(ctx, o));
}

async function operate({ req, res, params, principal }: RequestContext, o: StatusPageOptions): Promise<void> {
  const op = params.op;
  if (!OPERATIONS.has(op)) return refuse(res, 404, 'NOT_FOUND', `no page operation ${op.slice(0, 64)}`);
  let body: unknown;
  try {
    body = await readJson(req, MAX_BODY);
  } catch (err) {
    const e = asSmaError(err);
    return refuse(res, httpStatusOf(e.code), e.code, e.message);
  }
  // No principal here means a loopback listener with no users: its clients are the local operator.
  const ticket = await o.intake.accept({ op, body, origin: 'http', principal: principal ?? LOCAL_OPERATOR });
  const reply = await ticket.done;
  sendJson(res, reply.ok ? 200 : httpStatusOf(reply.error.code), reply, { 'cache-control': 'no-store' });
  ticket.afterSent();
}
