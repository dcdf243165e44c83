// Configuration errors that say what was meant: "did you mean" for keys and variables, line and column for syntax.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { closest } from '../../src/config/spelling.js';
import { tempDir } from '../support/agent-process.js';

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const path = join(tempDir(), 'config.json');
  writeFileSync(path, text);
  try {
    loadConfig(path, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => p.replace(`${path}`, 'FILE'));
    throw err;
  }
  return [];
}

describe('configuration errors', () => {
  it.each([
    ['intervalMS', ['intervalMs', 'timeoutMs'], 'intervalMs'],
    ['DATA_DIR', ['DATADIR', 'AGENT_ID'], 'DATADIR'],
    ['HEALTH_INTERVALSMS', ['HEALTH_INTERVALMS', 'HEALTH_TIMEOUTMS'], 'HEALTH_INTERVALMS'],
    ['htp', ['http', 'mqtt'], 'http'],
    ['zzzz', ['http', 'mqtt'], undefined],
  ])('closest(%s)', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  it('names the key meant, in the file and in the environment', () => {
    expect(problems('{"health": {"intervalMS": 5000}}')).toEqual(['health.intervalMS: not a configuration key (did you mean health.intervalMs?)']);
    expect(problems('{"dataDirr": "x"}')).toEqual(['dataDirr: not a configuration key (did you mean dataDir?)']);
    expect(problems('{}', { SMA_DATA_DIR: '/tmp/x' })).toEqual(['SMA_DATA_DIR: not a configuration key (did you mean SMA_DATADIR?)']);
    // The command line's variables are no configuration keys and not refused.
    expect(problems('{}', { SMA_BROKER: 'mqtt://h:1', SMA_AGENT: 'a', SMA_CONFIG: '/x' })).toEqual([]);
  });

  it('a syntax error names its line and column', () => {
    expect(problems('{\n  "agent": {"id": "gw"},\n  "log": {"level": "info",}\n}')).toEqual(['FILE:3:27: a comma before } (JSON allows no trailing comma)']);
  });
});
