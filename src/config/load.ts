// Reads the configuration file, applies SMA_<SECTION>_<KEY> overrides, validates, and lists every bad key.
import { readFileSync } from 'node:fs';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  const raw = path ? readFile(path) : {};
  const overridden = applyEnv(raw, env);
  const parsed = configSchema.safeParse(overridden.value);
  if (parsed.success) return parsed.data;
  // An override like SMA_AGENT_ID=123 was read as JSON; where that breaks validation, try it as a string.
  let retried = false;
  for (const issue of parsed.error.issues) {
    const key = issue.path.join('.');
    const rawValue = overridden.rawByPath.get(key);
    if (rawValue !== undefined) {
      setPath(overridden.value, key.split('.'), rawValue);
      retried = true;
    }
  }
  if (retried) {
    const again = configSchema.safeParse(overridden.value);
    if (again.success) return again.data;
    throw new ConfigError(again.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
}

function readFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Json;
  } catch (err) {
    throw new ConfigError([`${path}: not a JSON object (${(err as Error).message})`]);
  }
}

/** The schema's key names, so SMA_HEALTH_INTERVALMS finds health.intervalMs. */
function shapeKeys(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (schema: unknown, path: string[]): void => {
    const shape = objectShape(schema);
    if (!shape) {
      out.set(path.map((p) => p.toUpperCase()).join('_'), path);
      return;
    }
    for (const [k, v] of Object.entries(shape)) walk(v, [...path, k]);
  };
  walk(configSchema, []);
  return out;
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  // zod 4 wraps objects in default/prefault/pipe layers; unwrap to the object's shape.
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; type?: string } } | undefined;
  for (let i = 0; s && i < 6; i++) {
    if (s.def?.type === 'object' && s.shape) return s.shape;
    s = (s.def?.innerType ?? s.def?.in) as typeof s;
  }
  return undefined;
}

function applyEnv(raw: Json, env: NodeJS.ProcessEnv): { value: Json; rawByPath: Map<string, string> } {
  const value: Json = structuredClone(raw);
  const rawByPath = new Map<string, string>();
  const keys = shapeKeys();
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('SMA_') || text === undefined) continue;
    const path = keys.get(name.slice(4).toUpperCase());
    if (!path) continue;
    setPath(value, path, parseValue(text));
    rawByPath.set(path.join('.'), text);
  }
  return { value, rawByPath };
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(target: Json, path: string[], v: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1]] = v;
}
