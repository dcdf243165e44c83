// The commands that ask a running agent: checked, connected, run. Loaded by cli.ts only when one is asked for,
// so `start`, `sim`, --help and --version never load the MQTT client library.
import { SERVICE_NAME } from '../names.js';
import { runAgentInfo } from './agent-command.js';
import type { DiscoveryTimings } from './agent-discovery.js';
import { withAgent, type ClientCommand } from './agent-request.js';
import type { OptionValues } from './argv.js';
import type { CommandSpec } from './command-catalogue.js';
import { keyPath, parseAssignments } from './config-assignments.js';
import { runConfig } from './config-command.js';
import { usageError, type CliIo } from './io.js';
import { registrationOf } from './register-command.js';
import { runServices } from './services-command.js';
import { deployArguments } from './deploy-command.js';
import { runAlerts, watchArguments } from './watch-command.js';
import { runTrust, trustLevelOf } from './trust-command.js';

const clientRunners: Record<string, (cmd: ClientCommand) => Promise<number>> = {
  services: runServices,
  config: runConfig,
  trust: runTrust,
  agent: runAgentInfo,
  alerts: runAlerts,
};

export async function runClientCommand(spec: CommandSpec, args: string[], values: OptionValues, io: CliIo, timings?: DiscoveryTimings): Promise<number> {
  checkArguments(spec, args, values);
  const runner = clientRunners[spec.group];
  const verb = spec.verb ?? spec.group;
  return withAgent(values, (client) => runner({ verb, args, values, io, client }), timings);
}

/** What can be judged without the agent is judged before connecting, as a usage error (exit 2). */
function checkArguments(spec: CommandSpec, args: string[], values: OptionValues): void {
  const checkName = (name: string): void => {
    if (!SERVICE_NAME.test(name)) throw usageError(`'${name}' is not a service name (lower-case letters, digits, '.', '_', '-'; at most 63)`);
  };
  if (spec.group === 'services') (['history', 'register', 'deploy'].includes(spec.verb ?? '') ? args.slice(0, 1) : args).forEach(checkName);
  if (spec.verb === 'register') registrationOf(args, values);
  if (spec.verb === 'logs' || spec.verb === 'history') watchArguments(spec.verb, args, values);
  if (spec.group === 'services' && spec.verb === 'deploy') deployArguments(spec.verb, args, values);
  if (spec.group === 'config') {
    checkName(args[0]);
    if (spec.verb === 'get') args.slice(1).forEach(keyPath);
    else parseAssignments(args.slice(1));
  }
  if (spec.group === 'trust') trustLevelOf(values.level);
}
