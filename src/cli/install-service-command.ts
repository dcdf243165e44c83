// `sma-bridge install-service`: the systemd unit, a commented sample configuration (never over an existing one)
// and the data directory, for the installed package this command runs from. It prints the systemctl steps
// instead of running them, so it can be read and repeated.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../version.js';
import type { OptionValues } from './argv.js';
import { CliError, EXIT_OK, writeLine, type CliIo } from './io.js';

export const SERVICE_DEFAULTS = { unitDir: '/etc/systemd/system', configDir: '/etc/sma-bridge', dataDir: '/var/lib/sma-bridge' } as const;

export interface ServicePlaces {
  unitDir: string;
  configDir: string;
  dataDir: string;
}

/** The packaged unit, pointed at this Node, this package's bin, the given configuration and data directory. */
export function unitText(template: string, places: ServicePlaces, node = process.execPath, packageRoot = PACKAGE_ROOT): string {
  const configPath = join(places.configDir, 'config.json');
  const stateDir = relative('/var/lib', places.dataDir);
  return template
    .split('\n')
    .flatMap((line) => {
      if (line.startsWith('ExecStart=')) return [`ExecStart=${node} --max-semi-space-size=4 ${join(packageRoot, 'dist/main.js')} start -c ${configPath}`];
      if (line.startsWith('WorkingDirectory=')) return [`WorkingDirectory=${places.dataDir}`];
      if (line.startsWith('Environment=SMA_DATADIR=')) return [`Environment=SMA_DATADIR=${places.dataDir}`];
      // StateDirectory= names a directory below /var/lib only; elsewhere the directory made here is the one.
      if (line.startsWith('StateDirectory=')) return stateDir.startsWith('..') || stateDir.startsWith('/') ? [] : [`StateDirectory=${stateDir}`];
      return [line];
    })
    .join('\n');
}

export async function runInstallService(values: OptionValues, io: CliIo): Promise<number> {
  const places: ServicePlaces = {
    unitDir: values['unit-dir'] ?? SERVICE_DEFAULTS.unitDir,
    configDir: values['config-dir'] ?? SERVICE_DEFAULTS.configDir,
    dataDir: values['data-dir'] ?? SERVICE_DEFAULTS.dataDir,
  };
  try {
    const unitPath = join(places.unitDir, 'sma-bridge.service');
    const existed = existsSync(unitPath);
    mkdirSync(places.unitDir, { recursive: true });
    writeFileSync(unitPath, unitText(readFileSync(join(PACKAGE_ROOT, 'packaging/sma-bridge.service'), 'utf8'), places));
    writeLine(io.stdout, `${existed ? 'replaced' : 'wrote'} ${unitPath}`);

    const configPath = join(places.configDir, 'config.json');
    mkdirSync(places.configDir, { recursive: true, mode: 0o750 });
    if (existsSync(configPath)) writeLine(io.stdout, `kept ${configPath} (it exists; the sample is ${join(PACKAGE_ROOT, 'packaging/config.sample.json')})`);
    else {
      const sample = readFileSync(join(PACKAGE_ROOT, 'packaging/config.sample.json'), 'utf8');
      writeFileSync(configPath, sample.replace('"dataDir": "/var/lib/sma-bridge"', `"dataDir": ${JSON.stringify(places.dataDir)}`), { mode: 0o640, flag: 'wx' });
      writeLine(io.stdout, `wrote ${configPath} (a commented sample: read it, change what you need)`);
    }

    mkdirSync(places.dataDir, { recursive: true, mode: 0o750 });
    writeLine(io.stdout, `data directory ${places.dataDir}`);
    writeLine(io.stdout, '');
    writeLine(io.stdout, 'then, as root:');
    writeLine(io.stdout, '  systemctl daemon-reload');
    writeLine(io.stdout, '  systemctl enable --now sma-bridge');
    writeLine(io.stdout, '  systemctl status sma-bridge        # "active (running)" once the agent said READY');
    writeLine(io.stdout, '  journalctl -u sma-bridge -f        # its log');
    return EXIT_OK;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`install-service: ${e.code === 'EACCES' ? `${e.message} (run it as root, e.g. with sudo)` : e.message}`);
  }
}

/** Kept for tests and packaging checks: the sample must stay a valid configuration. */
export const SAMPLE_CONFIG = join(PACKAGE_ROOT, 'packaging/config.sample.json');
