// Who may connect to the embedded broker and what each role may publish and subscribe (CONTRACT section 10).
import type { Aedes, AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';

export type Role = 'operator' | 'service' | 'device';

export interface BrokerUser {
  username: string;
  passwordHash: string;
  role: Role;
}

export type PasswordCheck = (password: string, hash: string) => Promise<boolean>;

const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/** Topic ACLs by role; `u` is the connected username, `r` the topic root. */
function mayPublish(role: Role, r: string, u: string, topic: string): boolean {
  if (role === 'operator') return topic.startsWith(`${r}/`);
  if (role === 'device') return topic === `${r}/heartbeat/device/${u}`;
  return (
    topic === `${r}/heartbeat/service/${u}` ||
    topic === `${r}/plugin/${u}/devices` ||
    topic === `${r}/plugin/${u}/trust` ||
    topic === `${r}/request/registry.register` ||
    topic === `${r}/request/registry.deregister`
  );
}

function maySubscribe(role: Role, r: string, u: string, filter: string): boolean {
  if (role === 'operator') return filter.startsWith(`${r}/`) || filter === '#';
  if (role === 'device') return false;
  return filter === `${r}/plugin/${u}/reregister` || filter === `${r}/response/${u}/#` || filter.startsWith(`${r}/response/${u}-`);
}

export class BrokerAccess {
  private readonly users: Map<string, BrokerUser>;
  private readonly roles = new WeakMap<Client, { role: Role; username: string }>();

  constructor(
    users: BrokerUser[],
    private readonly topicRoot: string,
    private readonly checkPassword: PasswordCheck,
  ) {
    this.users = new Map(users.map((u) => [u.username, u]));
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  install(aedes: Aedes): void {
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
          if (!ok) return refuse();
          this.roles.set(client, { role: user.role, username: user.username });
          done(null, true);
        },
        () => refuse(),
      );
    };
    aedes.authorizePublish = (client, packet: PublishPacket, done) => {
      const who = client ? this.roles.get(client) : undefined;
      if (!client) return done(null); // the agent's own in-process publishes
      if (!who || !mayPublish(who.role, this.topicRoot, who.username, packet.topic)) {
        const err = new Error(`not authorized to publish to ${packet.topic}`) as AuthenticateError;
        err.returnCode = NOT_AUTHORIZED;
        return done(err);
      }
      done(null);
    };
    aedes.authorizeSubscribe = (client, sub: Subscription, done) => {
      const who = this.roles.get(client);
      if (!who || !maySubscribe(who.role, this.topicRoot, who.username, sub.topic)) return done(null, null as unknown as Subscription);
      done(null, sub);
    };
  }
}
