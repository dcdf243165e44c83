// argv -> command, table-driven; bad usage -> CliError with exit status 2.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/argv.js';
import { clientOptionsFrom } from '../../src/cli/client-options.js';
import { CliError } from '../../src/cli/io.js';

type Expected = { group: string; verb?: string; args: string[]; values?: Record<string, unknown> };

const accepted: Array<[string, string[], Expected]> = [
  ['start with no file', ['start'], { group: 'start', args: [] }],
  ['start -c', ['start', '-c', 'agent.json'], { group: 'start', args: [], values: { config: 'agent.json' } }],
  ['start --config=', ['start', '--config=a.json'], { group: 'start', args: [], values: { config: 'a.json' } }],
  ['services list', ['services', 'list'], { group: 'services', verb: 'list', args: [] }],
  ['list with names and --json', ['services', 'list', 'a', 'b', '--json'], { group: 'services', verb: 'list', args: ['a', 'b'], values: { json: true } }],
  ['list --all-registered', ['services', 'list', '--all-registered'], { group: 'services', verb: 'list', args: [], values: { 'all-registered': true } }],
  ['options before the command', ['--broker', 'mqtt://h:1', 'services', 'health'], { group: 'services', verb: 'health', args: [], values: { broker: 'mqtt://h:1' } }],
  ['restart names', ['services', 'restart', 'x', 'y'], { group: 'services', verb: 'restart', args: ['x', 'y'] }],
  ['stop --all', ['services', 'stop', '--all'], { group: 'services', verb: 'stop', args: [], values: { all: true } }],
  ['config get keys', ['config', 'get', 'svc', 'a.b', 'c'], { group: 'config', verb: 'get', args: ['svc', 'a.b', 'c'] }],
  ['config set', ['config', 'set', 'svc', 'a=1'], { group: 'config', verb: 'set', args: ['svc', 'a=1'] }],
  ['trust list --level', ['trust', 'list', '--level', 'NONE', 'd1'], { group: 'trust', verb: 'list', args: ['d1'], values: { level: 'NONE' } }],
  ['agent info --agent', ['agent', 'info', '--agent', 'gw-1'], { group: 'agent', verb: 'info', args: [], values: { agent: 'gw-1' } }],
  ['passwd', ['passwd'], { group: 'passwd', args: [] }],
];

describe('parseCommandLine accepts', () => {
  it.each(accepted)('%s', (_, argv, expected) => {
    const line = parseCommandLine(argv);
    if (line.kind !== 'run') throw new Error(`expected a command, got ${line.kind}`);
    expect(line.spec.group).toBe(expected.group);
    expect(line.spec.verb).toBe(expected.verb);
    expect(line.args).toEqual(expected.args);
    expect(line.values).toMatchObject(expected.values ?? {});
  });

  it('passes everything after sim through untouched', () => {
    expect(parseCommandLine(['sim', 'devices', '--count', '5', '--help'])).toEqual({ kind: 'sim', args: ['devices', '--count', '5', '--help'] });
  });
});

const refused: Array<[string, string[], RegExp]> = [
  ['nothing', [], /missing command/],
  ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ['missing verb', ['services'], /missing services command: list, health, metrics, start, stop, restart/],
  ['unknown verb', ['services', 'explode'], /unknown services command 'explode'/],
  ['unknown option', ['services', 'list', '--bogus'], /unknown option '--bogus'$/],
  ['option of another command', ['services', 'list', '--all'], /option --all does not apply to 'services list'/],
  ['client option on start', ['start', '--broker', 'mqtt://x'], /option --broker does not apply to 'start'/],
  ['option without value', ['services', 'list', '--broker'], /argument missing/],
  ['batch without names', ['services', 'restart'], /needs NAME\.\.\. or --all/],
  ['batch with names and --all', ['services', 'start', 'a', '--all'], /not both/],
  ['config get without NAME', ['config', 'get'], /'config get' needs NAME/],
  ['config set without assignment', ['config', 'set', 'svc'], /'config set' needs KEY=VALUE/],
  ['agent info with an argument', ['agent', 'info', 'extra'], /unexpected argument 'extra'/],
  ['passwd with an argument', ['passwd', 'secret'], /unexpected argument 'secret'/],
];

describe('parseCommandLine refuses with exit 2', () => {
  it.each(refused)('%s', (_, argv, message) => {
    let caught: unknown;
    try {
      parseCommandLine(argv);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).exitCode).toBe(2);
    expect((caught as CliError).message).toMatch(message);
    expect((caught as CliError).message).not.toContain('\n');
  });
});

describe('help at each level', () => {
  const cases: Array<[string[], RegExp, RegExp]> = [
    [['--help'], /usage: sma-bridge <command>/, /services restart NAME\.\.\.\|--all/],
    [['services', '--help'], /usage: sma-bridge services <list\|health\|metrics\|start\|stop\|restart\|logs\|history\|register\|deregister\|deploy\|deployments\|rollback\|cancel>/, /--all-registered/],
    [['services', 'list', '-h'], /usage: sma-bridge services list \[NAME\.\.\.\]/, /--topic-root R/],
    [['config', 'set', '--help'], /usage: sma-bridge config set NAME KEY=VALUE\.\.\./, /dotted KEY/],
    [['start', '--help'], /usage: sma-bridge start \[-c FILE\]/, /-c, --config FILE/],
  ];
  it.each(cases)('%j', (argv, first, inside) => {
    const line = parseCommandLine(argv);
    if (line.kind !== 'help') throw new Error('expected help');
    expect(line.text.split('\n')[0]).toMatch(first);
    expect(line.text).toMatch(inside);
  });

  it('command help lists only options that apply', () => {
    const line = parseCommandLine(['agent', 'info', '--help']);
    expect(line.kind === 'help' && line.text).not.toMatch(/--all\b/);
  });
});

describe('client options', () => {
  it('has the documented defaults', () => {
    expect(clientOptionsFrom({})).toEqual({ brokerUrl: 'mqtt://127.0.0.1:1883', timeoutMs: 10_000 });
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ broker: 'http://x' }, /--broker must be/],
    [{ timeout: '0' }, /--timeout/],
    [{ timeout: '10s' }, /--timeout/],
    [{ agent: 'a/b' }, /not an agent id/],
    [{ 'topic-root': 'sma/#' }, /--topic-root/],
    [{ password: 'p' }, /--password needs --username/],
  ];
  it.each(bad)('refuses %j with exit 2', (values, message) => {
    expect(() => clientOptionsFrom(values)).toThrow(message);
    try {
      clientOptionsFrom(values);
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});
