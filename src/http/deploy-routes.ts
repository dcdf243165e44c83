// Deployments over HTTP (CONTRACT section 13), operators only: POST /api/v3/services/{name}/deployments with
// `{version, artifact, start?, gate?}` answers 202 at acceptance with the deploymentId; GET lists them (one
// service's, or all at /api/v3/deployments); POST /api/v3/services/{name}/rollback (body `{}`) switches back;
// POST /api/v3/services/{name}/deployments/cancel (body `{}`) cancels the one in progress (202 once the cancel is
// stored; its end comes as events). Each is one operation through the inbox, whose schema judges the body.
import { isPlainObject } from '../model.js';
import type { IntakeCall } from './intake-call.js';
import { readJson, sendJson } from './respond.js';
import type { RequestContext, Router } from './router.js';

export function mountDeployRoutes(router: Router, o: { call: IntakeCall }): void {
  // The name comes from the path; anything else in the body is the operation's to accept or refuse.
  const withName = async (ctx: RequestContext): Promise<unknown> => {
    const body = await readJson(ctx.req);
    return isPlainObject(body) ? { ...body, name: ctx.params.name } : body;
  };
  router.add('POST', '/api/v3/services/:name/deployments', async (ctx) => sendJson(ctx.res, 202, await o.call(ctx, 'services.deploy', await withName(ctx))));
  router.get('/api/v3/services/:name/deployments', async (ctx) => sendJson(ctx.res, 200, await o.call(ctx, 'services.deployments', { name: ctx.params.name })));
  router.get('/api/v3/deployments', async (ctx) => sendJson(ctx.res, 200, await o.call(ctx, 'services.deployments', {})));
  router.add('POST', '/api/v3/services/:name/rollback', async (ctx) => sendJson(ctx.res, 202, await o.call(ctx, 'services.rollback', await withName(ctx))));
  router.add('POST', '/api/v3/services/:name/deployments/cancel', async (ctx) => sendJson(ctx.res, 202, await o.call(ctx, 'services.cancel', await withName(ctx))));
}
