// The one authorization policy (issue 10, CONTRACT section 10): principal + operation + body -> allowed or
// a FORBIDDEN reason. Front-neutral: the inbox asks it for every command, whatever front brought it, and
// fronts ask it for the messages that are not commands (heartbeats, plugin messages).
import { serviceOfKey } from '../operations/kv-keys.js';
import type { OperationName } from '../operations/schemas.js';
import { checkUrlRefusal } from './check-url.js';
import { isRules, type Principal } from './principal.js';

/** Inbound messages that are not commands; `subject` is the id or name the message speaks for. */
export type MessageKind = 'device-heartbeat' | 'service-heartbeat' | 'plugin-devices' | 'plugin-trust';

export interface PolicyOptions {
  /** Hosts other than loopback that health checks may poll (`health.allowedHosts`). */
  allowedCheckHosts: readonly string[];
  /** Where service configuration keys start (`http.keeper.serviceRoot`): `{root}/{service}/...`. */
  serviceRoot: string;
  /**
   * The agent's own name (`agent.id`): a batch naming it stops or restarts the agent itself. Only a person may
   * decide that, not an engine acting on a registered service that happens to bear the name.
   */
  agentId?: string;
}

/** The configuration every EdgeX service reads at start (written by core-common-config-bootstrapper). */
const COMMON_CONFIG = 'core-common-config-bootstrapper';

/** What a service may ask about itself; every other operation is an operator's. */
// registry.entries: Keeper's GET by serviceId, which go-mod-registry sends before (re-)registering.
// kv.get / kv.put: a service's keeper configuration client reads its own keys and the common ones, and
// pushes its own defaults on first start; the keys decide (kvRefusal), not the names.
const SERVICE_OPERATIONS: ReadonlySet<OperationName> = new Set(['registry.register', 'registry.deregister', 'registry.entries', 'config.get', 'services.health', 'kv.get', 'kv.put']);

/**
 * Principals the agent makes for its own engines (operator role, so every service name is theirs): each may
 * ask only what its engine does. The rules restart or stop (CONTRACT 15); a Sparkplug host's DCMD starts,
 * stops or restarts (CONTRACT 14). Neither deploys, registers, writes configuration or reads output.
 */
const ENGINE_OPERATIONS: ReadonlyArray<{ is(p: Principal): boolean; ops: ReadonlySet<OperationName> }> = [
  { is: isRules, ops: new Set(['services.restart', 'services.stop']) },
  // The Sparkplug front also reads, as the same principal, what its births and DATA show (src/sparkplug/).
  {
    is: (p) => p.role === 'operator' && p.username.startsWith('sparkplug:'),
    ops: new Set(['services.start', 'services.stop', 'services.restart', 'services.list', 'services.metrics', 'agent.info', 'trust.get']),
  },
];

export class AuthorizationPolicy {
  constructor(private readonly options: PolicyOptions) {}

  /** Why `principal` may not run `op` with this (validated) body, or undefined when it may. */
  commandRefusal(principal: Principal, op: OperationName, body: unknown): string | undefined {
    const registration = op === 'registry.register' ? this.registrationRefusal(body) : undefined;
    if (registration) return registration;
    const engine = ENGINE_OPERATIONS.find((e) => e.is(principal));
    if (engine && !engine.ops.has(op)) return `${principal.username} may not ask ${op}`;
    if (engine && this.options.agentId !== undefined && namesIn(body).includes(this.options.agentId)) return `${principal.username} may not stop or restart the agent itself`;
    if (principal.role === 'operator') return undefined;
    if (principal.role === 'device') return 'a device may send heartbeats only, no requests';
    if (!SERVICE_OPERATIONS.has(op)) return `a service may not ask ${op}`;
    if (op === 'kv.get' || op === 'kv.put') return this.kvRefusal(principal.username, op, (body as { key: string }).key);
    const names = namesIn(body);
    if (names.length === 0 || names.some((n) => n !== principal.username)) {
      return `service ${principal.username} may ask ${op} only about itself`;
    }
    if (op === 'registry.register' && (body as { start?: unknown }).start !== undefined) {
      return "a service's start command is an operator's decision: a service may not set it";
    }
    if (op === 'registry.register' && (body as { container?: unknown }).container !== undefined) {
      return "a service's container is an operator's decision: a service may not set it";
    }
    return undefined;
  }

  /** Whether `principal` may send a message of `kind` that speaks for `subject`. */
  mayPost(principal: Principal, kind: MessageKind, subject: string): boolean {
    if (principal.role === 'operator') return true;
    if (kind === 'device-heartbeat') return principal.role === 'device' && principal.username === subject;
    return principal.role === 'service' && principal.username === subject;
  }

  /** A service reads and writes keys below its own name only, and may also read the common configuration. */
  private kvRefusal(username: string, op: 'kv.get' | 'kv.put', key: string): string | undefined {
    const owner = serviceOfKey(this.options.serviceRoot, key)?.name;
    if (owner === username || (op === 'kv.get' && owner === COMMON_CONFIG)) return undefined;
    return `service ${username} may ${op === 'kv.get' ? 'read' : 'write'} only keys under ${this.options.serviceRoot}/${username}`;
  }

  private registrationRefusal(body: unknown): string | undefined {
    const check = (body as { check?: { type?: string; url?: string } }).check;
    if (check?.type !== 'http' || check.url === undefined) return undefined;
    const refusal = checkUrlRefusal(check.url, this.options.allowedCheckHosts);
    return refusal && `check URL refused: ${refusal}`;
  }
}

/** The service names a (validated) request speaks about; `{all: true}` or no names is "every service". */
function namesIn(body: unknown): string[] {
  const b = body as { name?: string; names?: string[] };
  if (typeof b.name === 'string') return [b.name];
  if (Array.isArray(b.names)) return b.names;
  return [];
}

/** Whether a registration's start command may be taken from it (else the one already there is kept). */
export function mayDecideStart(principal: Principal): boolean {
  return principal.role === 'operator';
}
