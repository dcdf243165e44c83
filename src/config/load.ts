// Reads the configuration file, applies SMA_<SECTION>_<KEY> overrides, validates, and lists every bad key.
import { readFileSync } from 'node:fs';
import { ConfigTextError, parseConfigText } from './config-text.js';
import { applyEnv, keysUnder, nameVariable, setPath } from './env-overrides.js';
import { closest } from './spelling.js';
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
  if (overridden.unknown.length > 0) throw new ConfigError(overridden.unknown);
  const parsed = configSchema.safeParse(overridden.value);
  if (parsed.success) return parsed.data;
  // An override like SMA_AGENT_ID=123 was read as JSON; where that breaks validation, try it as a string.
  let retried = false;
  for (const issue of parsed.error.issues) {
    const key = issue.path.join('.');
    const from = overridden.byPath.get(key);
    // Only where a string was wanted: SMA_HTTP_PORT=99999 is a bad number, not a string.
    if (from !== undefined && issue.code === 'invalid_type' && issue.expected === 'string') {
      setPath(overridden.value, key.split('.'), from.text);
      retried = true;
    }
  }
  const final = retried ? configSchema.safeParse(overridden.value) : parsed;
  if (final.success) return final.data;
  throw new ConfigError(
    final.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? unknownKeys(i.path, i.keys) : [nameVariable(i.path.join('.'), i.message, overridden.byPath)])),
  );
}

/** `health.intervalMS: not a configuration key (did you mean health.intervalMs?)`, one line per key. */
function unknownKeys(path: ReadonlyArray<string | number>, keys: string[]): string[] {
  const at = path.map(String);
  const known = keysUnder(at);
  return keys.map((key) => {
    const near = closest(key, known);
    const full = (k: string): string => [...at, k].join('.');
    return `${full(key)}: not a configuration key${near ? ` (did you mean ${full(near)}?)` : known.length ? ` (${at.join('.') || 'the top level'} takes ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', ...' : ''})` : ''}`;
  });
}

function readFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  let value: unknown;
  try {
    value = parseConfigText(text);
  } catch (err) {
    if (err instanceof ConfigTextError) throw new ConfigError([`${path}:${err.line}:${err.column}: ${err.reason}`]);
    throw err;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError([`${path}: not a JSON object`]);
  return value as Json;
}
