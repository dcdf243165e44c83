// Method + path pattern -> handler. Route modules (keeper, system, status page...) each mount their own routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../policy/principal.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD';


/** Who sent the request, as the front authenticated it; `undefined` when no users are configured (loopback). */
export type HttpPrincipal = Principal;

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path only, query parsed; the path is matched undecoded, parameters are decoded. */
  url: URL;
  params: Record<string, string>;
  principal?: HttpPrincipal;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

/**
 * Who may reach a route, checked by the front before the handler runs: `operator` (the default, so a route
 * added without thought is closed), or `caller`, any authenticated principal, for routes whose operations
 * the inbox's policy decides per principal (Keeper's registry and KV, the SMA API) and for harmless reads.
 */
export type Access = 'operator' | 'caller';

/** One row of the route table, as the front and the attack tests see it. */
export interface RouteEntry {
  method: Method;
  pattern: string;
  access: Access;
}

type Segment = { literal: string } | { param: string } | { rest: string };

interface Route extends RouteEntry {
  segments: Segment[];
  handler: Handler;
}

export type Match = { handler: Handler; params: Record<string, string>; access: Access } | { allow: Method[] } | undefined;

/**
 * Patterns are `/api/v3/registry/serviceId/:serviceId` (one segment) and `/api/v3/kvs/key/*key` (the rest of
 * the path, slashes included; last only). The first route added wins on overlap.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: Method, pattern: string, handler: Handler, access: Access = 'operator'): this {
    const segments = split(pattern).map((s, i, all): Segment => {
      if (s.startsWith(':')) return { param: s.slice(1) };
      if (s.startsWith('*')) {
        if (i !== all.length - 1) throw new Error(`${pattern}: *rest must be the last segment`);
        return { rest: s.slice(1) };
      }
      return { literal: s };
    });
    this.routes.push({ method, pattern, access, segments, handler });
    return this;
  }

  get(pattern: string, handler: Handler, access: Access = 'operator'): this {
    return this.add('GET', pattern, handler, access);
  }

  /** Every route, in the order added. */
  table(): RouteEntry[] {
    return this.routes.map(({ method, pattern, access }) => ({ method, pattern, access }));
  }

  /** The handler for method + path, or the methods the path does allow (for 405), or nothing (404). */
  match(method: string, path: string): Match {
    const parts = split(path);
    const allow = new Set<Method>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { handler: route.handler, params, access: route.access };
      allow.add(route.method);
    }
    return allow.size ? { allow: [...allow] } : undefined;
  }
}

const split = (path: string): string[] => path.split('/').filter((s) => s.length > 0);

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if ('rest' in seg) {
      if (i >= parts.length) return undefined;
      const rest = decode(parts.slice(i).join('/'));
      if (rest === undefined) return undefined;
      params[seg.rest] = rest;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if ('literal' in seg) {
      if (part !== seg.literal) return undefined;
      continue;
    }
    const value = decode(part);
    if (value === undefined) return undefined;
    params[seg.param] = value;
  }
  return parts.length === segments.length ? params : undefined;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
