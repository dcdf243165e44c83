import { describe, expect, it } from 'vitest';
import { Router, type Handler } from '../../src/http/router.js';

const h = (name: string): Handler & { id: string } => Object.assign(() => {}, { id: name });

describe('Router', () => {
  const router = new Router()
    .get('/api/v3/registry/serviceId/:serviceId', h('get-one'))
    .add('DELETE', '/api/v3/registry/serviceId/:serviceId', h('delete-one'))
    .get('/api/v3/registry/all', h('all'))
    .get('/api/v3/kvs/key/*key', h('kv'))
    .get('/', h('root'));

  const hit = (method: string, path: string): { id?: string; params?: Record<string, string>; allow?: string[] } | undefined => {
    const m = router.match(method, path);
    if (!m) return undefined;
    if ('allow' in m) return { allow: m.allow };
    return { id: (m.handler as Handler & { id: string }).id, params: m.params };
  };

  it('matches literals, decodes one-segment parameters and keeps slashes in a rest parameter', () => {
    expect(hit('GET', '/api/v3/registry/serviceId/core%2Ddata')).toEqual({ id: 'get-one', params: { serviceId: 'core-data' } });
    expect(hit('GET', '/api/v3/registry/all')).toEqual({ id: 'all', params: {} });
    expect(hit('GET', '/api/v3/kvs/key/edgex/v4/core-data/Writable%2FLogLevel')).toEqual({
      id: 'kv',
      params: { key: 'edgex/v4/core-data/Writable/LogLevel' },
    });
    expect(hit('GET', '/')).toEqual({ id: 'root', params: {} });
  });

  it('answers the allowed methods when only the method is wrong, and nothing when the path is unknown', () => {
    expect(hit('PUT', '/api/v3/registry/serviceId/x')).toEqual({ allow: ['GET', 'DELETE'] });
    expect(hit('GET', '/api/v3/registry')).toBeUndefined();
    expect(hit('GET', '/api/v3/registry/serviceId/a/b')).toBeUndefined();
    expect(hit('GET', '/api/v3/kvs/key')).toBeUndefined();
  });

  it('refuses a malformed percent-encoding instead of throwing', () => {
    expect(hit('GET', '/api/v3/registry/serviceId/%E0%A4%A')).toBeUndefined();
  });

  it('serves HEAD from a GET route', () => {
    expect(hit('HEAD', '/api/v3/registry/all')?.id).toBe('all');
  });

  it('refuses a rest parameter that is not last', () => {
    expect(() => new Router().get('/a/*rest/b', h('x'))).toThrow(/last segment/);
  });
});
