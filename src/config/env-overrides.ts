// SMA_<SECTION>_<KEY> environment overrides, checked like the file's keys: a variable that names no key is
// refused (a typo must not be silently ignored), and a bad value's error names the variable it came from.
import { z } from 'zod/v3';
import { configSchema } from './schema.js';
import { closest } from './spelling.js';

type Json = Record<string, unknown>;

export interface EnvOverrides {
  /** The configuration with the overrides written in. */
  value: Json;
  /** Dotted key -> the variable that set it and its text, for retrying as a string and for error lines. */
  byPath: Map<string, { variable: string; text: string }>;
  /** One line per SMA_ variable that names no configuration key. */
  unknown: string[];
}

export const ENV_PREFIX = 'SMA_';

/** The schema's keys by variable suffix, so SMA_HEALTH_INTERVALMS finds health.intervalMs. */
function shapeKeys(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (schema: unknown, path: string[]): void => {
    const { shape, options } = unwrap(schema);
    if (!shape) {
      if (path.length > 0) out.set(path.map((p) => p.toUpperCase()).join('_'), path);
      // A union (the executor) takes the whole value as JSON, and each object form's keys one by one.
      for (const option of options ?? []) if (unwrap(option).shape) walk(option, path);
      return;
    }
    for (const [k, v] of Object.entries(shape)) walk(v, [...path, k]);
  };
  walk(configSchema, []);
  return out;
}

let keysCache: Map<string, string[]> | undefined;

function unwrap(schema: unknown): { shape?: Record<string, unknown>; options?: unknown[] } {
  // Defaults, optionals and effects (the executor's string form is a preprocess) wrap the object or union.
  let s = schema;
  for (let i = 0; s && i < 6; i++) {
    if (s instanceof z.ZodObject) return { shape: s.shape as Record<string, unknown> };
    if (s instanceof z.ZodUnion || s instanceof z.ZodDiscriminatedUnion) return { options: [...(s.options as Iterable<unknown>)] };
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s._def.innerType;
    else if (s instanceof z.ZodEffects) s = s._def.schema;
    else return {};
  }
  return {};
}

export function applyEnv(raw: Json, env: NodeJS.ProcessEnv): EnvOverrides {
  const value: Json = structuredClone(raw);
  const byPath = new Map<string, { variable: string; text: string }>();
  const unknown: string[] = [];
  keysCache ??= shapeKeys();
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || text === undefined || CLIENT_VARIABLES.has(variable)) continue;
    const suffix = variable.slice(ENV_PREFIX.length).toUpperCase();
    const path = keysCache.get(suffix);
    if (!path) {
      unknown.push(`${variable}: not a configuration key${hint(suffix, keysCache)}`);
      continue;
    }
    setPath(value, path, parseValue(text));
    byPath.set(path.join('.'), { variable, text });
  }
  return { value, byPath, unknown };
}

/** The command line's own variables (src/cli/local-agent.ts): not configuration keys, never refused. */
export const CLIENT_VARIABLES: ReadonlySet<string> = new Set(['SMA_BROKER', 'SMA_AGENT', 'SMA_CONFIG']);

/** The configuration keys directly below `path` (the root's sections for []), for "did you mean". */
export function keysUnder(path: readonly string[]): string[] {
  keysCache ??= shapeKeys();
  const below = new Set<string>();
  for (const full of keysCache.values()) {
    if (full.length > path.length && path.every((p, i) => full[i] === p)) below.add(full[path.length]!);
  }
  return [...below];
}

/** The nearest variable, else the variables of the same section, so a typo shows what was meant. */
function hint(suffix: string, keys: Map<string, string[]>): string {
  const meant = closest(suffix, keys.keys());
  if (meant !== undefined) return ` (did you mean ${ENV_PREFIX}${meant}?)`;
  const section = suffix.split('_')[0];
  const near = [...keys.keys()].filter((k) => k.split('_')[0] === section).map((k) => ENV_PREFIX + k);
  if (near.length === 0) return ` (variables are SMA_<SECTION>_<KEY>, e.g. SMA_HEALTH_INTERVALMS)`;
  return ` (${section.toLowerCase()} takes ${near.slice(0, 8).join(', ')}${near.length > 8 ? ', ...' : ''})`;
}

/** `health.intervalMs: ...` becomes `SMA_HEALTH_INTERVALMS (health.intervalMs): ...` when a variable set it (never its value: it may be a password). */
export function nameVariable(path: string, message: string, byPath: EnvOverrides['byPath']): string {
  const from = byPath.get(path);
  return from ? `${from.variable} (${path}): ${message}` : `${path || '(root)'}: ${message}`;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function setPath(target: Json, path: string[], v: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]] = v;
}
