// `sma-bridge repair-store --data-dir DIR`: LevelDB's repair on a stopped agent's store, after a full copy.
import type { OptionValues } from './argv.js';
import { CliError, EXIT_OK, usageError, writeLine, type CliIo } from './io.js';

export async function runRepairStore(values: OptionValues, io: CliIo): Promise<number> {
  const dataDir = values['data-dir'] ?? (await dataDirOf(values.config));
  // Loaded on demand, like `start`: other commands should not pay for LevelDB.
  const { repairStore, RepairRefused } = await import('../store/store-repair.js');
  try {
    const report = await repairStore(dataDir);
    const kept = Object.entries(report.entries)
      .map(([section, n]) => `${section} ${n}`)
      .join(', ');
    writeLine(io.stdout, `repaired ${report.location}${report.fromPreOpenCopy ? ' (from the files kept by the refused start)' : ''}`);
    writeLine(io.stdout, `entries kept: ${kept || 'none'}`);
    if (report.dropped) writeLine(io.stdout, `entries dropped as damaged: ${report.dropped}`);
    writeLine(io.stdout, `the files it started from are copied to ${report.backup}`);
    if (report.setAside) writeLine(io.stdout, `what the refused start left is moved to ${report.setAside}`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof RepairRefused) throw new CliError(`repair-store: ${err.message}`);
    throw new CliError(`repair-store failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function dataDirOf(configPath: string | undefined): Promise<string> {
  if (configPath === undefined) throw usageError("'repair-store' needs --data-dir DIR (or -c FILE)");
  const { loadConfig, ConfigError } = await import('../config/load.js');
  try {
    return loadConfig(configPath).dataDir;
  } catch (err) {
    if (err instanceof ConfigError) throw usageError(`config: ${err.problems[0]}`);
    throw err;
  }
}
