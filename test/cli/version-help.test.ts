// `--version`, and a help line for every option of every command (issue 14, build 4).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allowedOptions, commands, optionConfig, optionHelp, type OptionName } from '../../src/cli/command-catalogue.js';
import { runCli } from './cli-harness.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('sma-bridge --version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version and exits 0', async (flag) => {
    expect(await runCli([flag])).toEqual({ code: 0, stdout: `sma-bridge ${version}\n`, stderr: '' });
  });

  it('is an option of its own, not of a command', async () => {
    const run = await runCli(['services', 'list', '--version']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("sma-bridge: option --version does not apply to 'services list'\n");
  });
});

describe('help', () => {
  it('every option has its help line, naming the option', () => {
    for (const name of Object.keys(optionConfig) as OptionName[]) expect(optionHelp[name]).toMatch(new RegExp(`--${name}\\b.*\\s{2,}\\S`));
  });

  it.each(commands.filter((c) => c.group !== 'sim').map((c) => [[c.group, c.verb].filter(Boolean).join(' '), c] as const))(
    "`%s --help` lists every option the command takes",
    async (_title, spec) => {
      const run = await runCli([spec.group, ...(spec.verb ? [spec.verb] : []), '--help']);
      expect(run.code).toBe(0);
      for (const o of allowedOptions(spec)) expect(run.stdout).toContain(optionHelp[o]);
    },
  );

  it('the top help names --version', async () => {
    expect((await runCli(['--help'])).stdout).toContain(optionHelp.version);
  });
});
