// Principals and the policy for tests that drive the inbox directly (no front to authenticate anyone).
import { AuthorizationPolicy } from '../../src/policy/authorization.js';
import type { Principal } from '../../src/policy/principal.js';

export const OPERATOR: Principal = { role: 'operator', username: 'test-operator' };
export const testPolicy = (): AuthorizationPolicy => new AuthorizationPolicy({ allowedCheckHosts: [], serviceRoot: 'edgex/v4' });
