// `sma-bridge sim ...` runs firmware-sim/sim.js as a child with the arguments passed through.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSimUrl } from '../../src/cli/sim-command.js';
import { runCli } from './cli-harness.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sma-cli-sim-'));
  // A stand-in simulator: echoes its argv and exits with the status it is given.
  await writeFile(
    join(dir, 'sim.js'),
    `process.stdout.write(JSON.stringify(process.argv.slice(2)) + '\\n');
     process.stderr.write('sim log line\\n');
     process.exitCode = Number(process.argv[process.argv.indexOf('--exit') + 1] ?? 0);`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sma-bridge sim', () => {
  it('passes the remaining argv through and returns the simulator exit status', async () => {
    const simUrl = pathToFileURL(join(dir, 'sim.js'));
    const run = await runCli(['sim', 'devices', '--count', '3', '--exit', '7'], '', { simUrl });
    expect(JSON.parse(run.stdout)).toEqual(['devices', '--count', '3', '--exit', '7']);
    expect(run.stderr).toBe('sim log line\n');
    expect(run.code).toBe(7);
  });

  it('a missing simulator is one clear line, exit 1', async () => {
    const simUrl = pathToFileURL(join(dir, 'absent', 'sim.js'));
    const run = await runCli(['sim', 'devices'], '', { simUrl });
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sma-bridge: the firmware simulator is not installed: ${join(dir, 'absent', 'sim.js')} is missing\n` });
  });

  it('looks for firmware-sim/sim.js at the package root', () => {
    expect(defaultSimUrl().pathname).toBe(new URL('../../firmware-sim/sim.js', import.meta.url).pathname);
  });
});
