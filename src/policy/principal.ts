// Who sent a command or a message: a role and a name, as the front authenticated it (broker login, HTTP
// user, the registered LwM2M server). Every front hands one to the inbox; nothing else decides who is who.
export type Role = 'operator' | 'service' | 'device';

export interface Principal {
  readonly role: Role;
  readonly username: string;
}

/** Clients of a front that has no users configured (loopback only): they are the gateway's own operators. */
export const LOCAL_OPERATOR: Principal = Object.freeze({ role: 'operator', username: 'local' });

/** The LwM2M server the agent registered with: its requests are the device-management operator's. */
export const LWM2M_SERVER: Principal = Object.freeze({ role: 'operator', username: 'lwm2m-server' });

/**
 * Requests read from an external broker: the broker authenticated and authorised the sender, and the
 * agent cannot see who it was (README, "Roles"). They count as an operator's.
 */
export const EXTERNAL_BROKER: Principal = Object.freeze({ role: 'operator', username: 'external-broker' });

/**
 * The watch's rules restarting or stopping a service (CONTRACT section 15): an operator's decision made in
 * advance, in the configuration. Its restarts count in the service's `restarts` as a health restart does.
 */
export const RULES: Principal = Object.freeze({ role: 'operator', username: 'rules' });

/** The rules' principal, also after a journal replay (which rebuilds the object): by role and name. */
export const isRules = (p: Principal): boolean => p.role === RULES.role && p.username === RULES.username;

/** A username becomes a topic level: it may hold no level separator, wildcard or NUL. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/**
 * The built-in principals' names, which no configured user may take: a user named `rules` would be held to
 * the rules' two operations and count its restarts as theirs, one named `local` would share the loopback
 * operator's stored answers.
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([LOCAL_OPERATOR, LWM2M_SERVER, EXTERNAL_BROKER, RULES].map((p) => p.username));

/** One string per principal, e.g. to scope stored answers to their owner. */
export const principalKey = (p: Principal): string => `${p.role}:${p.username}`;
