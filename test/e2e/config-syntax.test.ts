// Issue 28: a configuration file with comments and one mistake, given to the real bin. The agent stops before
// it binds anything with the contract's exit code 2 and one line naming the file, line and column; the CLI
// reading the same file (-c) says the same. The text is read by jsonc-parser (src/config/config-text.ts).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { agentEnv, BIN, tempDir } from '../support/agent-process.js';

const run = promisify(execFile);

async function bin(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [BIN, ...args], { timeout: 20_000, env: agentEnv({ SMA_MQTT_BROKER_PORT: '0', SMA_HTTP_PORT: '0' }) });
    return { code: 0, stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

const COMMENTED = `// the gateway's agent
{
  /* who it is */
  "agent": { "id": "gw-1" }, // its id
  "log": { "level": "info", },
  "dataDir": "DATA"
}
`;

describe('a configuration file with a syntax error', () => {
  const dir = tempDir('sma-config-syntax-');
  const file = join(dir, 'config.json');
  writeFileSync(file, COMMENTED.replace('DATA', join(dir, 'data')));

  it('stops `start` with exit 2 and FILE:LINE:COLUMN, comments read as comments', async () => {
    const r = await bin('start', '-c', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sma-bridge: config: ${file}:5:29: a comma before } (JSON allows no trailing comma)\n`);
  });

  it('stops a CLI command reading the same file with exit 2 and the same words', async () => {
    const r = await bin('services', 'list', '-c', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`config: ${file}:5:29: a comma before }`);
  });
});

describe('a configuration key holding terminal control characters', () => {
  const dir = tempDir('sma-config-key-');
  const file = join(dir, 'config.json');
  // JSON's \u escapes make a real ESC and C1 of the key; the agent names the key it does not know.
  writeFileSync(file, `{ "agent": { "id": "gw-1" }, "dataDir": ${JSON.stringify(join(dir, 'data'))}, "x\\u001b[2J\\u009b31m": 1 }`);

  it('is named escaped on stderr by `start` and by a CLI command: exit 2, nothing for the terminal to act on', async () => {
    for (const args of [['start', '-c', file], ['services', 'list', '-c', file]]) {
      const r = await bin(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('x\\x1b[2J\\x9b31m: not a configuration key');
      expect(r.stderr.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
  });
});
