import { describe, expect, it } from 'vitest';
import { goDurationMs } from '../../src/http/edgex-dtos.js';
import { changedLeaves, KEY_PATTERN, kvText, leaves, nest, serviceOfKey } from '../../src/operations/kv-keys.js';

describe('EdgeX KV keys', () => {
  it('maps {root}/{service}/{path} to a service and a config path, and nothing else', () => {
    expect(serviceOfKey('edgex/v4', 'edgex/v4/core-data/Writable/LogLevel')).toEqual({ name: 'core-data', path: ['Writable', 'LogLevel'] });
    expect(serviceOfKey('edgex/v4', 'edgex/v4/core-data')).toEqual({ name: 'core-data', path: [] });
    expect(serviceOfKey('edgex/v4', 'edgex/v3/core-data/X')).toBeUndefined();
    expect(serviceOfKey('edgex/v4', 'edgex/v4/Core Data/X')).toBeUndefined();
    expect(serviceOfKey('edgex/v4', 'edgex/v4x/core-data')).toBeUndefined();
  });

  it('flattens and nests config objects', () => {
    expect(leaves({ Writable: { LogLevel: 'INFO', Telemetry: { Interval: '30s' } }, Max: 5 })).toEqual([
      [['Writable', 'LogLevel'], 'INFO'],
      [['Writable', 'Telemetry', 'Interval'], '30s'],
      [['Max'], 5],
    ]);
    expect(nest(['a', 'b'], null)).toEqual({ a: { b: null } });
    expect(changedLeaves({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3, d: 4 } })).toEqual([
      [['a', 'c'], 3],
      [['a', 'd'], 4],
    ]);
    expect(changedLeaves({ a: { b: 1 } }, {})).toEqual([[['a', 'b'], undefined]]);
  });

  it('refuses keys with dot segments, empty segments or other characters', () => {
    for (const good of ['a', 'edgex/v4/core-data/Writable', 'a/.b', 'a/b..c']) expect(KEY_PATTERN.test(good), good).toBe(true);
    for (const bad of ['', '/a', 'a/', 'a//b', 'a/../b', '..', 'a/.', 'a b', 'a/#', 'a/+/b']) expect(KEY_PATTERN.test(bad), bad).toBe(false);
  });

  it('shows values as Keeper text', () => {
    expect(kvText('INFO')).toBe('INFO');
    expect(kvText(25000)).toBe('25000');
    expect(kvText(true)).toBe('true');
  });

  it('reads Go durations as EdgeX registrations carry them', () => {
    expect(goDurationMs('10s')).toBe(10_000);
    expect(goDurationMs('1m30s')).toBe(90_000);
    expect(goDurationMs('500ms')).toBe(500);
    expect(goDurationMs('1.5h')).toBe(5_400_000);
    for (const bad of ['', '10', 's', '10 s', 'often', '-1s']) expect(goDurationMs(bad), bad).toBeUndefined();
  });
});
