// Objects 0 (LwM2M Security) and 1 (LwM2M Server): the client's own account with its server, held by the
// front (no operation behind them). Object 0 is data for the transport only: no LwM2M Server may read,
// write or discover it (the dispatcher answers 4.01 before a handler runs), and it is not announced in
// the registration. Object 1's Lifetime is writable and takes effect with an Update at once.
import { CoapFailure } from './coap-failure.js';
import type { Ask, BindingTable, Effect, InstanceQuery, ObjectSource, ResourceBinding } from './object-source.js';

export const SECURITY_OBJECT = 0;
export const SERVER_OBJECT = 1;
/** The configured LwM2M Server account's Short Server ID (a Bootstrap-Server may give another). */
export const SHORT_SERVER_ID = 101;

/** What the Security object knows of one account; the key stays in the transport and is never here. */
export interface SecurityInstance {
  uri: string;
  bootstrap: boolean;
  /** LwM2M TS Core E.1 Security Mode: 0 PSK, 3 NoSec. */
  mode: 0 | 3;
  identity?: string;
  shortServerId?: number;
}

/** What the Server object controls: read from and applied to the registration session. */
export interface ServerControl {
  shortServerId(): number;
  lifetimeS(): number;
  setLifetime(seconds: number): void;
  triggerUpdate(): void;
  /** Undefined when no bootstrap server is configured (Bootstrap-Request Trigger then answers 4.05). */
  triggerBootstrap?: () => void;
}

export interface ServerInstance {
  control: ServerControl;
}

const secret = (): never => {
  throw new CoapFailure('4.01', 'the Security object is not accessible to an LwM2M Server');
};

/** Bound for the bootstrap interface's sake; the DDF gives no resource an operation, so a server is refused. */
export const securityBindings: BindingTable<SecurityInstance> = new Map<number, ResourceBinding<SecurityInstance>>([
  [0, { read: (s) => s.uri }],
  [1, { read: (s) => s.bootstrap }],
  [2, { read: (s) => s.mode }],
  [3, { read: (s) => (s.identity === undefined ? undefined : Buffer.from(s.identity)) }],
  [5, { read: secret }],
  [10, { read: (s) => s.shortServerId }],
]);

export const serverBindings: BindingTable<ServerInstance> = new Map<number, ResourceBinding<ServerInstance>>([
  [0, { read: (s) => s.control.shortServerId() }],
  [
    1,
    {
      read: (s) => s.control.lifetimeS(),
      write: ({ instance, value }): Effect => {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 10 || value > 86_400 * 30) {
          throw new CoapFailure('4.00', 'Lifetime must be an integer from 10 to 2592000 seconds');
        }
        return { local: () => instance.control.setLifetime(value) };
      },
    },
  ],
  [6, { read: () => false }],
  [7, { read: () => 'U' }],
  [8, { execute: (s) => ({ afterSent: () => s.control.triggerUpdate() }) }],
  [
    9,
    {
      execute: (s) => {
        const trigger = s.control.triggerBootstrap;
        if (!trigger) throw new CoapFailure('4.05', 'no bootstrap server is configured (lwm2m.bootstrapUri)');
        return { afterSent: trigger };
      },
    },
  ],
]);

export class SecuritySource implements ObjectSource<SecurityInstance> {
  readonly objectId = SECURITY_OBJECT;
  readonly bindings = securityBindings;
  constructor(private readonly accounts: () => SecurityInstance[]) {}

  async read(_ask: Ask, query: InstanceQuery): Promise<Map<number, SecurityInstance>> {
    const all = new Map(this.accounts().map((a, i) => [i, a] as const));
    return query.instanceId === undefined ? all : new Map([...all].filter(([id]) => id === query.instanceId));
  }
}

export class ServerSource implements ObjectSource<ServerInstance> {
  readonly objectId = SERVER_OBJECT;
  readonly bindings = serverBindings;
  constructor(private readonly control: ServerControl) {}

  async read(_ask: Ask, query: InstanceQuery): Promise<Map<number, ServerInstance>> {
    if (query.instanceId !== undefined && query.instanceId !== 0) return new Map();
    return new Map([[0, { control: this.control }]]);
  }
}
