// The EdgeX SMA's system API (shared/edgex/sys-mgmt-agent-2.4.yaml) under /api/v2 and /api/v3: health,
// metrics and config of `?services=a,b`, and POST operation, each answered 207 with one item per service.
import { asSmaError, invalidRequest } from '../errors.js';
import type { BatchItem, HealthView, MetricsView } from '../model.js';
import { SERVICE_NAME } from '../model.js';
import { base, operationRequests, sendEdgexError } from './edgex-dtos.js';
import type { IntakeCall } from './intake-call.js';
import { httpStatusOf, readJson, sendJson } from './respond.js';
import type { Handler, RequestContext, Router } from './router.js';
import { mountServiceInfo, type ServiceInfo } from './service-info.js';

export interface SystemRoutesOptions extends ServiceInfo {
  call: IntakeCall;
}

const MAX_NAMES = 1000;

/** `?services=a,b`: required, each a valid service name. */
function servicesQuery(ctx: RequestContext): string[] {
  const raw = ctx.url.searchParams.get('services');
  if (!raw) throw invalidRequest('query services: a comma-separated list of service names is required');
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0 || names.length > MAX_NAMES) throw invalidRequest(`query services: 1 to ${MAX_NAMES} names`);
  const bad = names.find((n) => !SERVICE_NAME.test(n));
  if (bad !== undefined) throw invalidRequest(`query services: ${JSON.stringify(bad.slice(0, 64))} is not a service name`);
  return names;
}

export function mountSystemRoutes(router: Router, o: SystemRoutesOptions): void {
  for (const v of ['v2', 'v3']) {
    const api = `/api/${v}`;
    const item = (name: string, statusCode: number, extra: Record<string, unknown> = {}, message?: string): Record<string, unknown> => ({
      ...base(v, statusCode, message),
      serviceName: name,
      ...extra,
    });
    const missing = (name: string): Record<string, unknown> => item(name, 404, {}, `no service named ${name}`);
    const edgex = (h: Handler): Handler => async (ctx) => {
      try {
        await h(ctx);
      } catch (err) {
        sendEdgexError(ctx.res, v, err);
      }
    };

    /** A GET answering one item per `?services=` name from one batch operation's views (404 for a name it lacks). */
    const perServiceView = <V extends { name: string }>(
      path: string,
      op: 'services.health' | 'services.metrics',
      toItem: (name: string, view: V) => Record<string, unknown>,
    ): void => {
      router.get(
        `${api}/system/${path}`,
        edgex(async (ctx) => {
          const names = servicesQuery(ctx);
          const views = new Map(((await o.call(ctx, op, { names })) as V[]).map((view) => [view.name, view]));
          sendJson(
            ctx.res,
            207,
            names.map((n) => {
              const view = views.get(n);
              return view ? toItem(n, view) : missing(n);
            }),
          );
        }),
        'caller',
      );
    };
    // As EdgeX's SMA did: 200 for a healthy service, 503 (with why) for one that is not.
    perServiceView<HealthView>('health', 'services.health', (n, h) => (h.health === 'UP' ? item(n, 200) : item(n, 503, {}, h.detail ?? `health ${h.health}`)));
    perServiceView<MetricsView>('metrics', 'services.metrics', (n, m) =>
      item(n, 200, { metrics: { cpuUsedPercent: m.cpuPercent, memoryUsed: m.memoryBytes, uptimeS: m.uptimeS, restarts: m.restarts } }),
    );
    router.get(
      `${api}/system/config`,
      edgex(async (ctx) => {
        const names = servicesQuery(ctx);
        const items = [];
        for (const n of names) {
          try {
            const got = (await o.call(ctx, 'config.get', { name: n })) as { config: Record<string, unknown> };
            items.push(item(n, 200, { config: got.config }));
          } catch (err) {
            const e = asSmaError(err);
            items.push(item(n, httpStatusOf(e.code), {}, e.message));
          }
        }
        sendJson(ctx.res, 207, items);
      }),
      'caller',
    );
    router.add(
      'POST',
      `${api}/system/operation`,
      edgex(async (ctx) => {
        const parsed = operationRequests.safeParse(await readJson(ctx.req));
        if (!parsed.success) throw invalidRequest(`body must be [{apiVersion, serviceName, action: start|stop|restart}]: ${parsed.error.issues[0]?.message ?? ''}`);
        const items = [];
        // One command per item, in order, each through the inbox like any other front's.
        for (const { serviceName, action } of parsed.data) {
          try {
            if (!SERVICE_NAME.test(serviceName)) throw invalidRequest(`${JSON.stringify(serviceName.slice(0, 64))} is not a service name`);
            const [done] = (await o.call(ctx, `services.${action}`, { names: [serviceName] })) as BatchItem[];
            if (done.result === 'OK') items.push(item(serviceName, 200));
            else items.push(item(serviceName, done.error ? httpStatusOf(done.error.code) : 500, {}, done.error?.message ?? done.result));
          } catch (err) {
            const e = asSmaError(err);
            items.push(item(serviceName, httpStatusOf(e.code), {}, e.message));
          }
        }
        sendJson(ctx.res, 207, items);
      }),
      'caller',
    );
    mountServiceInfo(router, api, v, o);
  }
}
