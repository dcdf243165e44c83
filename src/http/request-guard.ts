// The checks every HTTP request passes before its handler, whatever route it asks for (CONTRACT section
// 11). A browser is a client too: with no login on loopback, every web page the operator opens could reach
// the agent through it, by DNS rebinding (a foreign name resolving to 127.0.0.1, sent as Host) or by a
// cross-site form or "simple" fetch. With users, the browser adds the Basic login it remembers, so the same
// holds there. The front runs these as steps in order; each answers a refusal or nothing.
import type { IncomingMessage } from 'node:http';
import { isLoopback } from '../policy/loopback.js';
import type { Access, HttpPrincipal } from './router.js';

export interface Refusal {
  status: number;
  code: 'FORBIDDEN' | 'INVALID_REQUEST';
  message: string;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The Host header's name without its port. */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0];
}

/** On a loopback listener only a loopback Host is served: a rebound foreign name gets nothing. */
export function hostRefusal(req: IncomingMessage, listenerIsLoopback: boolean): Refusal | undefined {
  if (!listenerIsLoopback) return undefined;
  const host = req.headers.host;
  if (host !== undefined && isLoopback(hostName(host))) return undefined;
  return { status: 421, code: 'FORBIDDEN', message: 'this agent answers only under a loopback host name' };
}

const hasBody = (req: IncomingMessage): boolean => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

/**
 * A state change must come as JSON (no cross-site form or simple fetch can send that; a cross-site fetch
 * with it needs a preflight the agent never grants) and, when the browser names an Origin, from our own.
 * A DELETE without a body needs no type: EdgeX's Go client sends none, and no browser sends a cross-site
 * DELETE without a preflight either.
 */
export function crossSiteRefusal(req: IncomingMessage): Refusal | undefined {
  const method = req.method ?? 'GET';
  if (!STATE_CHANGING.has(method)) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && (method !== 'DELETE' || hasBody(req))) {
    return { status: 415, code: 'INVALID_REQUEST', message: 'a request that changes state takes Content-Type: application/json' };
  }
  const origin = req.headers.origin;
  if (origin === undefined) return undefined; // no browser: browsers name the Origin of every state change
  let from: string | undefined;
  try {
    from = new URL(origin).host;
  } catch {
    from = undefined;
  }
  if (from !== undefined && from === req.headers.host) return undefined;
  return { status: 403, code: 'FORBIDDEN', message: "a request that changes state must come from the agent's own page" };
}

/** With no users (loopback only), whoever reaches the port is the local operator; with users, the role decides. */
export const isOperator = (principal: HttpPrincipal | undefined): boolean => principal === undefined || principal.role === 'operator';

export function accessRefusal(access: Access, principal: HttpPrincipal | undefined): Refusal | undefined {
  if (access === 'caller' || isOperator(principal)) return undefined;
  return { status: 403, code: 'FORBIDDEN', message: `only an operator may use this route (${principal?.role ?? 'unknown'} ${principal?.username ?? ''} may not)` };
}

/** EdgeX's correlation header: echoed when it is a sane token, else a new one (never reflected raw). */
export function correlationIdOf(req: IncomingMessage, fresh: () => string): string {
  const given = req.headers['x-correlation-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : fresh();
}
