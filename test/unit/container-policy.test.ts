// CONTRACT section 12: a registration's `container` is an operator's (or the configuration's) decision, as `start` is.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { registrationSchema } from '../../src/model.js';
import { requestSchemas } from '../../src/operations/schemas.js';
import { AuthorizationPolicy } from '../../src/policy/authorization.js';
import type { Principal } from '../../src/policy/principal.js';

const policy = new AuthorizationPolicy({ allowedCheckHosts: [], serviceRoot: 'edgex/v4' });
const op: Principal = { role: 'operator', username: 'op' };
const svc: Principal = { role: 'service', username: 'svc' };
const body = { name: 'svc', check: { type: 'process' }, container: { name: 'edgex-core-data' } };

describe('container in a registration', () => {
  it('is refused from a service registering itself, accepted from an operator', () => {
    expect(policy.commandRefusal(svc, 'registry.register', body)).toMatch(/container is an operator's decision/);
    expect(policy.commandRefusal(op, 'registry.register', body)).toBeUndefined();
    expect(policy.commandRefusal(svc, 'registry.register', { name: 'svc', check: { type: 'process' } })).toBeUndefined();
  });

  it('takes a Docker container name and allowEngineRestart, nothing else', () => {
    expect(registrationSchema.safeParse(body).success).toBe(true);
    expect(registrationSchema.safeParse({ ...body, container: { name: 'edgex-core-data', allowEngineRestart: true } }).success).toBe(true);
    for (const container of [{ name: '../x' }, { name: '' }, { name: 'a b' }, { name: 'ok', image: 'evil' }]) {
      expect(registrationSchema.safeParse({ ...body, container }).success, JSON.stringify(container)).toBe(false);
    }
  });

  it('is accepted in a manifest entry, with executor.docker.socket', () => {
    const config = configSchema.parse({ executor: { type: 'process', docker: { socket: '/run/docker.sock' } }, services: [{ name: 'core-data', check: { type: 'process' }, container: { name: 'edgex-core-data' } }] });
    expect(config.services[0]!.container).toEqual({ name: 'edgex-core-data' });
    expect(config.executor.docker.socket).toBe('/run/docker.sock');
  });

  it('is refused beside a start command, in a request and in a manifest entry (one of them would silently not run)', () => {
    const both = { ...body, start: { command: '/usr/bin/core-data' } };
    const request = requestSchemas['registry.register'].safeParse(both);
    expect(request.success).toBe(false);
    expect(JSON.stringify(request.error?.issues)).toMatch(/either a start command or a container/);
    expect(configSchema.safeParse({ services: [both] }).success).toBe(false);
    expect(requestSchemas['registry.register'].safeParse({ ...body }).success).toBe(true);
    expect(configSchema.safeParse({ services: [{ ...both, container: undefined }] }).success).toBe(true);
  });
});
