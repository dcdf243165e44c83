// Who may connect to the embedded broker and what each may publish and subscribe (CONTRACT section 10),
// and who sent each message the agent reads (the principal that travels with it into the inbox).
import type { Aedes, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import { requireCommonJs } from '../commonjs.js';
import type { Logger } from 'pino';
import { LOCAL_OPERATOR, type Principal, type Role } from '../policy/principal.js';
import { aclFor, type PrincipalAcl } from './broker-acl.js';
import { LogThrottle } from '../log-throttle.js';
import { BUSY } from '../security/credential-gate.js';

const { QlobberTrue } = requireCommonJs('qlobber') as typeof import('qlobber');

export type { Role } from '../policy/principal.js';

export interface BrokerUser {
  username: string;
  passwordHash: string;
  role: Role;
}

/** True or false, or BUSY when the check could not be made now (CredentialGate). */
export type PasswordCheck = (password: string, hash: string) => Promise<boolean | typeof BUSY>;

const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

interface Session {
  principal: Principal;
  acl: PrincipalAcl;
}

/** aedes keeps its connected clients by id; its type declarations leave the map out. */
type WithClients = Aedes & { clients: Record<string, Client | undefined> };

export class BrokerAccess {
  private readonly users: Map<string, BrokerUser>;
  /** One ACL per configured user, built once: the set is as bounded as the configuration. */
  private readonly acls = new Map<string, PrincipalAcl>();
  private readonly sessions = new WeakMap<Client, Session>();
  private readonly tree: InstanceType<typeof QlobberTrue>;
  private aedes?: WithClients;
  /** A client that reconnects and tries again and again must not fill the log. */
  private readonly refusals?: LogThrottle;

  constructor(
    users: BrokerUser[],
    private readonly topicRoot: string,
    private readonly checkPassword: PasswordCheck,
    log?: Logger,
    now: () => number = Date.now,
  ) {
    this.users = new Map(users.map((u) => [u.username, u]));
    for (const u of users) this.acls.set(u.username, aclFor({ role: u.role, username: u.username }, topicRoot));
    this.refusals = log && new LogThrottle(log, now);
    this.tree = new QlobberTrue({ separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true }).add(`${topicRoot}/#`);
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  /**
   * Who published a message the broker delivered to the agent (aedes stamps the publisher's client id on
   * it). Undefined for the agent's own in-process publishes and for a client that is gone: such a message
   * speaks for nobody.
   */
  principalOf(clientId: string | undefined): Principal | undefined {
    if (clientId === undefined || !this.aedes) return undefined;
    const client = this.aedes.clients[clientId];
    if (!client) return undefined;
    if (!this.enabled) return LOCAL_OPERATOR;
    return this.sessions.get(client)?.principal;
  }

  /** Whether `principal` may subscribe `topic` here: the embedded broker's answer to reply routing. */
  mayRead(principal: Principal, topic: string): boolean {
    if (!this.enabled) return true;
    const user = this.users.get(principal.username);
    return user?.role === principal.role && this.acls.get(principal.username)!.maySubscribe(topic);
  }

  install(aedes: Aedes): void {
    this.aedes = aedes as WithClients;
    aedes.authorizePublish = (client, packet: PublishPacket, done) => {
      if (!client) return done(null); // the agent's own in-process publishes
      const refusal = this.publishRefusal(client, packet);
      if (refusal) {
        this.refusals?.warn({ username: this.sessions.get(client)?.principal.username, topic: packet.topic.slice(0, 256), reason: refusal.slice(0, 512) }, 'mqtt publish refused');
        const err = new Error(refusal) as AuthenticateError;
        err.returnCode = NOT_AUTHORIZED;
        return done(err);
      }
      done(null);
    };
    if (!this.enabled) return;
    aedes.authenticate = (client, username, password, done) => {
      const user = username ? this.users.get(username) : undefined;
      const refuse = (): void => {
        const err = new Error('bad username or password') as AuthenticateError;
        err.returnCode = BAD_USERNAME_OR_PASSWORD;
        done(err, false);
      };
      if (!user || !password) return refuse();
      this.checkPassword(password.toString('utf8'), user.passwordHash).then(
        (ok) => {
          if (ok === BUSY) {
            const err = new Error('too many logins being checked') as AuthenticateError;
            err.returnCode = SERVER_UNAVAILABLE;
            return done(err, false);
          }
          if (!ok) return refuse();
          // A client id in use by another user is not taken over: that would cut the other user off and
          // let the newcomer's messages pass for the previous holder's in flight.
          const holder = (aedes as WithClients).clients[client.id];
          const held = holder && holder !== client ? this.sessions.get(holder) : undefined;
          if (held && held.principal.username !== user.username) {
            this.refusals?.warn({ username: user.username, clientId: client.id.slice(0, 128) }, 'mqtt client id held by another user: refused');
            const err = new Error('client id in use by another user') as AuthenticateError;
            err.returnCode = NOT_AUTHORIZED;
            return done(err, false);
          }
          const principal: Principal = { role: user.role, username: user.username };
          this.sessions.set(client, { principal, acl: this.acls.get(user.username)! });
          done(null, true);
        },
        () => refuse(),
      );
    };
    aedes.authorizeSubscribe = (client, sub: Subscription, done) => {
      const session = this.sessions.get(client);
      if (!session || !session.acl.maySubscribe(sub.topic)) return done(null, null as unknown as Subscription);
      done(null, sub);
    };
  }

  private publishRefusal(client: Client, packet: PublishPacket): string | undefined {
    // Retained messages in the agent's tree are the agent's alone (its status): a client's would be
    // replayed to every later subscriber, the agent included, as if just sent.
    if (packet.retain && this.tree.test(packet.topic)) return `retained publish to ${packet.topic} refused: only the agent retains in its tree`;
    if (!this.enabled) return undefined;
    const session = this.sessions.get(client);
    if (!session || !session.acl.mayPublish(packet.topic)) return `not authorized to publish to ${packet.topic}`;
    return undefined;
  }
}
