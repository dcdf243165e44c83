// `KEY=VALUE` arguments of `config set` into the partial object the agent merges, and dotted paths for `config get`.
import { usageError } from './io.js';

type Json = unknown;
type Tree = Record<string, Json>;

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `a.b` -> ['a', 'b'], refusing empty segments and keys that would reach an object's prototype. */
export function keyPath(key: string): string[] {
  const path = key.split('.');
  if (path.some((p) => p === '')) throw usageError(`'${key}' is not a key (empty part between dots)`);
  const bad = path.find((p) => FORBIDDEN.has(p));
  if (bad) throw usageError(`'${key}' is not a key ('${bad}' is reserved)`);
  return path;
}

/** VALUE as JSON when it parses (numbers, true, null, {"x":1}), else the text itself. */
export function parseValue(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `['a.b=1', 'c=x']` -> `{a: {b: 1}, c: 'x'}`; a key given twice, or as both leaf and branch, is a usage error. */
export function parseAssignments(assignments: readonly string[]): Tree {
  const out: Tree = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw usageError(`'${assignment}' is not KEY=VALUE`);
    const key = assignment.slice(0, eq);
    const path = keyPath(key);
    let node = out;
    for (const [i, part] of path.slice(0, -1).entries()) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      if (next === undefined) node[part] = {};
      else if (!isTree(next)) throw usageError(`'${key}' conflicts with '${path.slice(0, i + 1).join('.')}' given before`);
      node = node[part] as Tree;
    }
    const leaf = path[path.length - 1];
    if (Object.hasOwn(node, leaf)) throw usageError(`'${key}' is given twice or conflicts with a longer key`);
    node[leaf] = parseValue(assignment.slice(eq + 1));
  }
  return out;
}

/** The value at a dotted key, or undefined when the configuration does not hold it. */
function valueAt(config: Tree, path: readonly string[]): Json {
  let value: Json = config;
  for (const part of path) value = isTree(value) && Object.hasOwn(value, part) ? value[part] : undefined;
  return value;
}

/** The (dotted) keys a configuration does not hold. */
export const missingKeys = (config: Tree, keys: readonly string[]): string[] => keys.filter((k) => valueAt(config, keyPath(k)) === undefined);

/** Only the given (dotted) keys of a configuration; keys it does not hold are left out. */
export function pickKeys(config: Tree, keys: readonly string[]): Tree {
  const out: Tree = {};
  for (const key of keys) {
    const path = keyPath(key);
    const value = valueAt(config, path);
    if (value === undefined) continue;
    let node = out;
    for (const part of path.slice(0, -1)) {
      if (!Object.hasOwn(node, part) || !isTree(node[part])) node[part] = {};
      node = node[part] as Tree;
    }
    node[path[path.length - 1]] = value;
  }
  return out;
}

/** `{a: {b: 1}, c: [1]}` -> `[['a.b', '1'], ['c', '[1]']]`: one row per leaf, values as JSON. */
export function flattenConfig(config: Tree, prefix = ''): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(config)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (isTree(value) && Object.keys(value).length > 0) rows.push(...flattenConfig(value, name));
    else rows.push([name, typeof value === 'string' ? value : JSON.stringify(value)]);
  }
  return rows;
}

/** Top-level keys to ask the agent for (it filters top-level keys only). */
export const topKeys = (keys: readonly string[]): string[] => [...new Set(keys.map((k) => keyPath(k)[0]))];
