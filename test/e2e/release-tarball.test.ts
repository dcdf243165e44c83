// The release artifact: `npm pack` gives a tarball with the built dist/ that installs with `npm install -g
// --omit=dev` and no compiler (CC, CXX and node-gyp's Python point at /bin/false), with the pins holding in
// the installed tree, and the installed bin starts to ready on the packaged sample configuration; then
// `sma-bridge install-service` from the installed package writes the unit, the sample (never over an
// existing one) and the data directory.
//
// Network: npm 11 asks for full package documents when it installs a tarball's dependencies, and `npm ci`
// caches only the abbreviated ones, so `--offline` fails on a machine that never installed the tarball
// before. The install runs `--prefer-offline`: tarballs come from the cache, package documents from the
// registry when the cache lacks them (CI reaches the npm registry).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/agent-process.js';
import { waitFor } from '../support/wait-for.js';

/** The runner's environment without npm's own variables (an `npm test` parent sets prefix and friends). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...extra };
}

const NO_COMPILER = { CC: '/bin/false', CXX: '/bin/false', PYTHON: '/bin/false' };

describe('the release tarball', () => {
  const work = tempDir('sma-release-');
  const prefix = join(work, 'prefix');
  const pkg = join(prefix, 'lib/node_modules/sma-bridge');
  const stops: Array<() => void> = [];
  afterAll(() => stops.forEach((s) => s()));

  it('packs dist and the packaging files, nothing of src or test', () => {
    // dist/ is built by `npm test`'s pretest; --ignore-scripts keeps `prepare` from compiling it again.
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: cleanEnv({}), encoding: 'utf8' });
    const [packed] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    expect(files).toContain('dist/main.js');
    expect(files).toContain('packaging/sma-bridge.service');
    expect(files).toContain('packaging/config.sample.json');
    expect(files.filter((f) => /^(src|test|bench)\//.test(f))).toEqual([]);
    writeFileSync(join(work, 'tarball'), packed!.filename);
  });

  it('installs globally with --omit=dev and no compiler; the pins hold in the installed tree', () => {
    const tarball = join(work, readFileSync(join(work, 'tarball'), 'utf8'));
    const result = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--omit=dev', '--no-audit', '--no-fund', tarball], {
      cwd: work,
      env: cleanEnv(NO_COMPILER),
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    const version = (name: string): string | undefined => {
      const file = join(pkg, 'node_modules', name, 'package.json');
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : undefined;
    };
    expect(version('cbor-x')).toBe('1.6.8');
    expect(version('cbor-extract')).toBe('2.2.2');
    // cbor-x's own optional ^2.2.2 is met by that one: no second, unpinned copy under cbor-x.
    expect(existsSync(join(pkg, 'node_modules/cbor-x/node_modules'))).toBe(false);
    expect(version(`@cbor-extract/cbor-extract-${process.platform}-${process.arch}`)).toBe('2.2.2');
    // Runtime dependencies only.
    for (const dev of ['typescript', 'vitest', 'playwright-core', 'lwm2m-node-lib', 'fast-check']) expect(version(dev), dev).toBeUndefined();
    // cbor-extract's prebuilt binary loads in the installed tree (cbor-x would otherwise fall back to plain JavaScript).
    const loaded = spawnSync(process.execPath, ['-e', "process.stdout.write(typeof require('cbor-extract').extractStrings)"], { cwd: pkg, encoding: 'utf8' });
    expect(loaded.stdout, loaded.stderr).toBe('function');
    // Nothing was compiled: the native parts are the packages' prebuilt binaries.
    expect(existsSync(join(pkg, 'node_modules/classic-level/build'))).toBe(false);
    expect(existsSync(join(pkg, 'node_modules/cbor-extract/build'))).toBe(false);
  }, 180_000);

  it('the installed bin starts to ready on the packaged sample configuration, loading the prebuilt native modules', async () => {
    const dataDir = tempDir('sma-release-data-');
    const child = spawn(join(prefix, 'bin/sma-bridge'), ['start', '-c', join(pkg, 'packaging/config.sample.json')], {
      cwd: dataDir,
      // The sample's fixed ports and /var/lib directory, moved for a test by the documented variables.
      env: cleanEnv({ SMA_DATADIR: dataDir, SMA_HTTP_PORT: '0', SMA_MQTT_BROKER_PORT: '0', SMA_AGENT_ID: 'release-test' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stops.push(() => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const ready = await waitFor('installed agent ready', () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${err}`);
      const line = out.split('\n').find((l) => l.includes('"msg":"ready"'));
      return line ? (JSON.parse(line) as { httpPort: number }) : undefined;
    });
    expect((await fetch(`http://127.0.0.1:${ready.httpPort}/health`)).status).toBe(200);
    // cbor-x loads its accelerator at first use; the store's LevelDB binding at start. Both come from the prefix.
    const maps = readFileSync(`/proc/${child.pid}/maps`, 'utf8');
    // The bin's first line gives malloc two arenas (BENCHMARKS.md, soak: RSS growth under load).
    expect(readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    expect(maps).toContain(join(pkg, 'node_modules/classic-level/prebuilds'));
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  });

  it('install-service writes the unit, the sample configuration and the data directory, and keeps an existing configuration', () => {
    const places = { unit: join(work, 'systemd'), config: join(work, 'etc'), data: join(work, 'var/lib/sma-bridge') };
    const run = (): string =>
      execFileSync(join(prefix, 'bin/sma-bridge'), ['install-service', '--unit-dir', places.unit, '--config-dir', places.config, '--data-dir', places.data], {
        env: cleanEnv({}),
        encoding: 'utf8',
      });
    const first = run();
    expect(first).toContain(`wrote ${join(places.config, 'config.json')}`);
    expect(first).toContain('systemctl daemon-reload');
    const unit = readFileSync(join(places.unit, 'sma-bridge.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} --max-semi-space-size=4 ${join(pkg, 'dist/main.js')} start -c ${join(places.config, 'config.json')}`);
    expect(unit).toContain('Type=notify');
    expect(unit).toContain('Environment=MALLOC_ARENA_MAX=2');
    expect(unit).toContain(`Environment=SMA_DATADIR=${places.data}`);
    expect(unit).not.toContain('StateDirectory='); // not below /var/lib here
    expect(readdirSync(places.data)).toEqual([]);
    const config = readFileSync(join(places.config, 'config.json'), 'utf8');
    expect(config).toContain(`"dataDir": ${JSON.stringify(places.data)}`);
    expect(config).toMatch(/^\/\/ /);

    writeFileSync(join(places.config, 'config.json'), '{"agent": {"id": "mine"}}\n');
    expect(run()).toContain(`kept ${join(places.config, 'config.json')}`);
    expect(readFileSync(join(places.config, 'config.json'), 'utf8')).toBe('{"agent": {"id": "mine"}}\n');

    // systemd's own reading of the written unit, where systemd-analyze exists.
    const analyze = spawnSync('systemd-analyze', ['verify', join(places.unit, 'sma-bridge.service')], { encoding: 'utf8' });
    if (!analyze.error) expect(analyze.stderr.split('\n').filter((l) => l.includes('sma-bridge.service'))).toEqual([]);
  });
});
