// The watch over HTTP (CONTRACT sections 15 and 16): GET /api/v3/services/{name}/logs?lines=&sinceMs=,
// /api/v3/services/{name}/history?metric=&sinceMs=&stepMs=, /api/v3/alerts. Each is one operation through
// the inbox; the query's numbers go to the operation's schema as they are, which refuses what is not one.
import type { IntakeCall } from './intake-call.js';
import { sendJson } from './respond.js';
import type { RequestContext, Router } from './router.js';

export interface WatchRoutesOptions {
  call: IntakeCall;
}

/** The named query parameters that are present: numbers when they read as one, else the text (refused later). */
function query(ctx: RequestContext, numeric: string[], text: string[] = []): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of [...numeric, ...text]) {
    const raw = ctx.url.searchParams.get(key);
    if (raw === null) continue;
    body[key] = numeric.includes(key) && /^\d{1,16}$/.test(raw) ? Number(raw) : raw;
  }
  return body;
}

export function mountWatchRoutes(router: Router, o: WatchRoutesOptions): void {
  const answer = (op: string, body: (ctx: RequestContext) => Record<string, unknown>) => async (ctx: RequestContext) =>
    sendJson(ctx.res, 200, await o.call(ctx, op, body(ctx)));
  router.get('/api/v3/services/:name/logs', answer('services.logs', (ctx) => ({ name: ctx.params.name, ...query(ctx, ['lines', 'sinceMs']) })));
  router.get('/api/v3/services/:name/history', answer('services.history', (ctx) => ({ name: ctx.params.name, ...query(ctx, ['sinceMs', 'stepMs'], ['metric']) })));
  router.get('/api/v3/alerts', answer('alerts.list', () => ({})));
}
