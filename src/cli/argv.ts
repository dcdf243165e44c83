// argv -> one command of the catalogue, with its options checked (node's util.parseArgs, strict).
import { parseArgs } from 'node:util';
import { allowedOptions, commands, commandsOf, groups, hasVerbs, optionConfig, type CommandSpec, type OptionName } from './command-catalogue.js';
import { commandHelp, groupHelp, topHelp } from './help.js';
import { usageError } from './io.js';
import { closest } from '../config/spelling.js';

export type OptionValues = {
  [K in OptionName]?: (typeof optionConfig)[K]['type'] extends 'string' ? string : boolean;
};

export type CommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  /** `sim` passes everything after it through untouched: its options are the simulator's. */
  | { kind: 'sim'; args: string[] }
  | { kind: 'run'; spec: CommandSpec; args: string[]; values: OptionValues };

const SEE = '(see sma-bridge --help)';

/** Node's parseArgs messages, shortened to their first sentence. */
function parseFailure(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split(/\.\s/)[0].replace(/\.$/, '');
  return usageError(first.charAt(0).toLowerCase() + first.slice(1));
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  if (argv[0] === 'sim') return { kind: 'sim', args: argv.slice(1) };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: optionConfig, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    throw parseFailure(err);
  }
  const values = parsed.values as OptionValues;
  const [group, ...rest] = parsed.positionals;
  if (group === undefined) {
    if (values.help) return { kind: 'help', text: topHelp() };
    if (values.version) return { kind: 'version' };
    throw usageError(`missing command ${SEE}`);
  }
  if (group === 'help') return { kind: 'help', text: helpFor(rest) };
  if (!groups.includes(group)) {
    const meant = closest(group, [...groups, 'help']);
    throw usageError(`unknown command '${group}'${meant ? ` (did you mean '${meant}'?)` : ''} ${SEE}`);
  }

  let spec: CommandSpec | undefined;
  let args = rest;
  if (hasVerbs(group)) {
    const verbs = commandsOf(group).map((c) => c.verb);
    const verb = rest[0];
    if (verb === undefined) {
      if (values.help) return { kind: 'help', text: groupHelp(group) };
      throw usageError(`missing ${group} command: ${verbs.join(', ')}`);
    }
    spec = commands.find((c) => c.group === group && c.verb === verb);
    if (!spec) throw usageError(`unknown ${group} command '${verb}' (one of ${verbs.join(', ')})`);
    args = rest.slice(1);
  } else {
    spec = commandsOf(group)[0];
  }
  if (values.help) return { kind: 'help', text: commandHelp(spec) };
  checkOptions(spec, parsed.tokens);
  checkArgs(spec, args, values);
  return { kind: 'run', spec, args, values };
}

/** `sma-bridge help [GROUP [VERB]]`: the same text as --help at that level. */
function helpFor(words: readonly string[]): string {
  const [group, verb] = words;
  if (group === undefined) return topHelp();
  if (!groups.includes(group)) throw usageError(`no command '${group}' ${SEE}`);
  const spec = hasVerbs(group) ? commands.find((c) => c.group === group && c.verb === verb) : commandsOf(group)[0];
  if (verb === undefined && hasVerbs(group)) return groupHelp(group);
  if (!spec) throw usageError(`no ${group} command '${verb}' (one of ${commandsOf(group).map((c) => c.verb).join(', ')})`);
  return commandHelp(spec);
}

const title = (spec: CommandSpec): string => [spec.group, spec.verb].filter(Boolean).join(' ');

function checkOptions(spec: CommandSpec, tokens: ReadonlyArray<{ kind: string; name?: string; rawName?: string }>): void {
  const allowed = new Set<string>(allowedOptions(spec));
  for (const t of tokens) {
    if (t.kind === 'option' && t.name !== undefined && !allowed.has(t.name)) {
      throw usageError(`option ${t.rawName ?? t.name} does not apply to '${title(spec)}'`);
    }
  }
}

function checkArgs(spec: CommandSpec, args: string[], values: OptionValues): void {
  if (spec.extraOptions.includes('all')) {
    if (args.length === 0 && !values.all) throw usageError(`'${title(spec)}' needs NAME... or --all`);
    if (args.length > 0 && values.all) throw usageError(`'${title(spec)}' takes NAME... or --all, not both`);
  }
  if (args.length < spec.minArgs) {
    const wanted = spec.synopsis.split(' ')[args.length]?.replace(/[.[\]]/g, '') ?? 'argument';
    throw usageError(`'${title(spec)}' needs ${wanted}`);
  }
  if (spec.maxArgs !== undefined && args.length > spec.maxArgs) {
    throw usageError(`unexpected argument '${args[spec.maxArgs]}' for '${title(spec)}'`);
  }
}
