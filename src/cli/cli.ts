// The command line as a function: argv and streams in, exit status out (src/main.ts is the bin around it).
// Each command's code is imported when that command runs: `start` must not carry the MQTT client,
// and a client command must not carry the agent.
import { VERSION } from '../version.js';
import type { DiscoveryTimings } from './agent-discovery.js';
import { parseCommandLine } from './argv.js';
import { CliError, EXIT_FAILED, EXIT_OK, writeLine, writeLines, type CliIo } from './io.js';
import { runStart } from './start-command.js';

export interface CliSettings {
  /** How long discovery waits for retained `sma/+/status` when no --agent is given. */
  discovery?: DiscoveryTimings;
  /** Where firmware-sim/sim.js is (tests point elsewhere). */
  simUrl?: URL;
}

export async function main(argv: readonly string[], io: CliIo, settings: CliSettings = {}): Promise<number> {
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
      writeLines(io.stdout, line.text);
      return EXIT_OK;
    }
    if (line.kind === 'version') {
      writeLine(io.stdout, `sma-bridge ${VERSION}`);
      return EXIT_OK;
    }
    if (line.kind === 'sim') return await (await import('./sim-command.js')).runSim(line.args, io, settings.simUrl);
    const { spec, args, values } = line;
    if (spec.group === 'start') return await runStart(values.config);
    if (spec.group === 'passwd') return await (await import('./passwd-command.js')).runPasswd(io);
    if (spec.group === 'install-service') return await (await import('./install-service-command.js')).runInstallService(values, io);
    if (spec.group === 'repair-store') return await (await import('./repair-command.js')).runRepairStore(values, io);
    const { runClientCommand } = await import('./client-command.js');
    return await runClientCommand(spec, args, values, io, settings.discovery);
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
