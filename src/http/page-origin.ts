// Browser-facing guards of the status page. With no authentication on loopback, any web page the operator
// visits could otherwise drive the agent through the operator's browser: by DNS rebinding (a foreign name
// resolving to 127.0.0.1, sent as Host) or by a cross-site POST. So: on loopback the Host must be a loopback
// name, and an operation must come as JSON (a cross-site form cannot send it; a cross-site fetch needs a
// preflight we never grant) with, when the browser names one, our own Origin.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (LOOPBACK_NAMES.has(bare)) return true;
  return isIP(bare) === 4 ? bare.startsWith('127.') : bare === '::1';
}

/** The Host header's name without its port. */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0];
}

/** Whether the request may be served: on a loopback listener only under a loopback Host (no DNS rebinding). */
export function hostAllowed(req: IncomingMessage, listenerIsLoopback: boolean): boolean {
  if (!listenerIsLoopback) return true;
  const host = req.headers.host;
  return host !== undefined && isLoopbackHost(hostName(host));
}

/** Whether a state-changing request comes from our own page, not from another site through the browser. */
export function ownPageRequest(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser's cross-site request: browsers always send Origin on POST
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
