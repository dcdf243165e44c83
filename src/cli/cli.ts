// The command line as a function: argv and streams in, exit status out (src/main.ts is the bin around it).
import { SERVICE_NAME } from '../model.js';
import { runAgentInfo } from './agent-command.js';
import { withAgent, type ClientCommand } from './agent-request.js';
import { parseCommandLine, type OptionValues } from './argv.js';
import type { CommandSpec } from './command-catalogue.js';
import { keyPath, parseAssignments } from './config-assignments.js';
import { runConfig } from './config-command.js';
import { CliError, EXIT_FAILED, EXIT_OK, usageError, writeLine, type CliIo } from './io.js';
import { runPasswd } from './passwd-command.js';
import { runRepairStore } from './repair-command.js';
import { runServices } from './services-command.js';
import { runSim } from './sim-command.js';
import { runStart } from './start-command.js';
import { runTrust, trustLevelOf } from './trust-command.js';

export interface CliSettings {
  /** How long to listen for retained `sma/+/status` when no --agent is given. */
  discoveryWindowMs?: number;
  /** Where firmware-sim/sim.js is (tests point elsewhere). */
  simUrl?: URL;
}

const clientRunners: Record<string, (cmd: ClientCommand) => Promise<number>> = {
  services: runServices,
  config: runConfig,
  trust: runTrust,
  agent: runAgentInfo,
};

export async function main(argv: readonly string[], io: CliIo, settings: CliSettings = {}): Promise<number> {
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
      writeLine(io.stdout, line.text);
      return EXIT_OK;
    }
    if (line.kind === 'sim') return await runSim(line.args, io, settings.simUrl);
    const { spec, args, values } = line;
    if (spec.group === 'start') return await runStart(values.config);
    if (spec.group === 'passwd') return await runPasswd(io);
    if (spec.group === 'repair-store') return await runRepairStore(values, io);
    checkArguments(spec, args, values);
    const runner = clientRunners[spec.group];
    const verb = spec.verb ?? spec.group;
    return await withAgent(values, (client) => runner({ verb, args, values, io, client }), settings.discoveryWindowMs);
  } catch (err) {
    if (err instanceof CliError) {
      writeLine(io.stderr, `sma-bridge: ${err.message}`);
      return err.exitCode;
    }
    // Not expected; still one line, never a stack trace.
    writeLine(io.stderr, `sma-bridge: internal error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}

/** What can be judged without the agent is judged before connecting, as a usage error (exit 2). */
function checkArguments(spec: CommandSpec, args: string[], values: OptionValues): void {
  const checkName = (name: string): void => {
    if (!SERVICE_NAME.test(name)) throw usageError(`'${name}' is not a service name (lower-case letters, digits, '.', '_', '-'; at most 63)`);
  };
  if (spec.group === 'services') args.forEach(checkName);
  if (spec.group === 'config') {
    checkName(args[0]);
    if (spec.verb === 'get') args.slice(1).forEach(keyPath);
    else parseAssignments(args.slice(1));
  }
  if (spec.group === 'trust') trustLevelOf(values.level);
}
