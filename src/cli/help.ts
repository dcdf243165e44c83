// Help text for each level (`sma-bridge --help`, `sma-bridge services --help`, `sma-bridge services list --help`).
import { allowedOptions, clientOptions, commands, commandsOf, optionHelp, type CommandSpec } from './command-catalogue.js';

const PROGRAM = 'sma-bridge';

const line = (c: CommandSpec): string => [c.group, c.verb, c.synopsis].filter(Boolean).join(' ');

function commandList(list: readonly CommandSpec[]): string[] {
  const width = Math.max(...list.map((c) => line(c).length));
  return list.map((c) => `  ${line(c).padEnd(width)}  ${c.summary}`);
}

const footer = ['', 'Exit status: 0 success, 1 the operation failed, 2 bad usage.'];

export function topHelp(): string {
  return [
    `usage: ${PROGRAM} <command> [options]`,
    '',
    'System Management Agent for gateways: service health and restarts, LwM2M and MQTT fronts, device trust.',
    '',
    'commands:',
    ...commandList(commands),
    '',
    'Commands that ask a running agent (over MQTT) take:',
    ...clientOptions.map((o) => `  ${optionHelp[o]}`),
    `Each command has its own --help, e.g. \`${PROGRAM} services --help\` or \`${PROGRAM} help services\`.`,
    'Without --broker/--agent: SMA_BROKER and SMA_AGENT, else the agent\'s configuration (-c FILE, SMA_CONFIG or',
    '/etc/sma-bridge/config.json), else mqtt://127.0.0.1:1883 and the one ONLINE agent there.',
    `  ${optionHelp.version}`,
    ...footer,
  ].join('\n');
}

export function groupHelp(group: string): string {
  const list = commandsOf(group);
  const options = [...new Set(list.flatMap(allowedOptions).filter((o) => o !== 'help')), 'help' as const];
  return [
    `usage: ${PROGRAM} ${group} <${list.map((c) => c.verb).join('|')}> [options]`,
    '',
    'commands:',
    ...commandList(list),
    '',
    'options:',
    ...options.map((o) => `  ${optionHelp[o]}`),
    ...footer,
  ].join('\n');
}

export function commandHelp(c: CommandSpec): string {
  return [
    `usage: ${PROGRAM} ${line(c)} [options]`,
    '',
    c.summary,
    ...(c.details ? [c.details] : []),
    '',
    'options:',
    ...allowedOptions(c).map((o) => `  ${optionHelp[o]}`),
    ...footer,
  ].join('\n');
}
