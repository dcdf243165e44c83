// Issue 10, attack class 9 (a usability hole that pushes operators to open the broker): with broker users
// configured, the CLI's agent discovery failed with "Subscribe error" because an operator could not
// subscribe `sma/+/status`. The CLI as a real process against the agent as a real process.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN } from '../support/agent-process.js';
import { hostileSuite, USERS } from './hostile-clients.js';

const run = promisify(execFile);

describe('the CLI with broker users', () => {
  const s = hostileSuite();

  const cli = async (user: string, password: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args, '--broker', s.bench.url, '--username', user, '--password', password], { timeout: 20_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('discovers the agent as an operator (no --agent) and asks it', async () => {
    const out = await cli('op', USERS.op.password, 'services', 'list', '--json');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(Array.isArray(JSON.parse(out.stdout))).toBe(true);
  });

  it('gets a device nowhere: it may not even discover the agent', async () => {
    const out = await cli('dev1', USERS.dev1.password, 'services', 'list');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/sma-bridge: /);
  });
});
