// Every operation in the request table (src/operations/schemas.ts), asked by every role and by the agent's own
// engines (rules, a Sparkplug host), through the one policy every front's commands pass. Enumerated from the
// table, so an operation added later is refused to these principals unless someone opens it here on purpose.
// Pure: the policy is a function of principal, operation and body (the fronts are attacked in the other files).
import { describe, expect, it } from 'vitest';
import { operationNames, type OperationName } from '../../src/operations/schemas.js';
import { AuthorizationPolicy } from '../../src/policy/authorization.js';
import { RULES, type Principal } from '../../src/policy/principal.js';

const policy = new AuthorizationPolicy({ allowedCheckHosts: [], serviceRoot: 'edgex/v4', agentId: 'gw1' });
/** A body about `subject` in every shape the policy reads (name, names, key). */
const about = (subject: string): Record<string, unknown> => ({ name: subject, names: [subject], key: `edgex/v4/${subject}/Writable/LogLevel`, check: { type: 'none' } });

const svc: Principal = { role: 'service', username: 'svc' };
const device: Principal = { role: 'device', username: 'dev1' };
const sparkplug: Principal = { role: 'operator', username: 'sparkplug:broker.example' };

/** What a service may ask about itself (README "Roles"); every other operation is an operator's. */
const SERVICE_ABOUT_ITSELF: ReadonlySet<OperationName> = new Set(['registry.register', 'registry.deregister', 'registry.entries', 'config.get', 'services.health', 'kv.get', 'kv.put']);
const ENGINES: Array<[Principal, ReadonlySet<OperationName>]> = [
  [RULES, new Set(['services.restart', 'services.stop'])],
  // Its DCMDs start, stop, restart; the front reads what the births show.
  [sparkplug, new Set(['services.start', 'services.stop', 'services.restart', 'services.list', 'services.metrics', 'agent.info', 'trust.get'])],
];

describe('every operation of the request table against each principal', () => {
  it('enumerates the table, new surfaces included', () => {
    for (const op of ['services.logs', 'services.history', 'alerts.list', 'services.deploy', 'services.deployments', 'services.rollback', 'services.install', 'services.discard', 'services.cancel']) {
      expect(operationNames).toContain(op);
    }
  });

  it('refuses a device every operation', () => {
    for (const op of operationNames) expect(policy.commandRefusal(device, op, about('dev1')), op).toBeDefined();
  });

  it('refuses a service every operation about another service, and every operation but its own few about itself', () => {
    for (const op of operationNames) {
      expect(policy.commandRefusal(svc, op, about('svc-other')), op).toBeDefined();
      const own = policy.commandRefusal(svc, op, about('svc'));
      if (SERVICE_ABOUT_ITSELF.has(op)) expect(own, op).toBeUndefined();
      else expect(own, op).toBeDefined();
    }
  });

  it('lets the rules and a Sparkplug host ask only what their engines do (no deploy, register, configuration or output)', () => {
    for (const [principal, allowed] of ENGINES) {
      for (const op of operationNames) {
        const refusal = policy.commandRefusal(principal, op, about('svc'));
        if (allowed.has(op)) expect(refusal, `${principal.username} ${op}`).toBeUndefined();
        else expect(refusal, `${principal.username} ${op}`).toBeDefined();
      }
    }
    // After a journal replay the principal is a new object with the same role and name.
    expect(policy.commandRefusal({ role: 'operator', username: 'rules' }, 'services.deploy', about('svc'))).toBeDefined();
  });

  it('never lets the rules or a Sparkplug host stop or restart the agent itself (a registered service named as agent.id)', () => {
    for (const [principal] of ENGINES) {
      for (const op of ['services.stop', 'services.restart'] as const) {
        expect(policy.commandRefusal(principal, op, { names: ['gw1'] }), `${principal.username} ${op}`).toMatch(/the agent itself/);
        expect(policy.commandRefusal(principal, op, { names: ['svc', 'gw1'] }), `${principal.username} ${op} in a batch`).toMatch(/the agent itself/);
      }
    }
    expect(policy.commandRefusal({ role: 'operator', username: 'op' }, 'services.restart', { names: ['gw1'] })).toBeUndefined();
  });

  it('leaves an operator every operation', () => {
    for (const op of operationNames) expect(policy.commandRefusal({ role: 'operator', username: 'op' }, op, about('svc')), op).toBeUndefined();
  });
});
