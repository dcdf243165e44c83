// A private Docker daemon per test run (Debian's docker.io, as root): its own data root, socket, pid file and
// exec root under a temporary directory, no bridge and no iptables (containers use --network host), so that
// several runs on one machine do not meet. Test images are built FROM scratch with Debian's busybox-static.
// Shared by the Docker executor's tests and the deployments' (issue 25).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hasPeer } from './peers.js';
import { REQUIRE_PEERS_FLAG } from './runner-env.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);
/** The Debian client (another `docker` may sit earlier on PATH). */
export const DOCKER_CLI = '/usr/bin/docker';
const BUSYBOX = '/bin/busybox';
export const BUSYBOX_IMAGE = 'sma-test-busybox';

/** True when dockerd, the Debian docker client and a static busybox are here (else skipped, or a failure under SMA_REQUIRE_PEERS=1). */
export function haveDocker(): boolean {
  if (!(hasPeer('dockerd', 'docker.io') && hasPeer(DOCKER_CLI, 'docker.io') && hasPeer('busybox', 'busybox-static'))) return false;
  if (process.getuid?.() === 0) return true;
  // dockerd runs as root only (rootless Docker is another package): absent root is an absent peer.
  if (process.env[REQUIRE_PEERS_FLAG] === '1') throw new Error('a private dockerd needs root (SMA_REQUIRE_PEERS=1)');
  process.stderr.write('skipped: a private dockerd needs root\n');
  return false;
}

export class PrivateDockerd {
  private daemon: ChildProcess | undefined;
  private output = '';

  private constructor(readonly dir: string) {}

  /** `unix://` address for the docker CLI and the agent's `executor.docker.socket`. */
  get socket(): string {
    return join(this.dir, 'docker.sock');
  }

  /** Starts a daemon and waits until /version answers. */
  static async start(): Promise<PrivateDockerd> {
    // Short: a unix socket path must fit in 108 bytes.
    const d = new PrivateDockerd(mkdtempSync('/tmp/smadk-'));
    await d.startDaemon();
    return d;
  }

  async startDaemon(): Promise<void> {
    const dir = this.dir;
    this.daemon = spawn(
      'dockerd',
      [
        '--data-root', join(dir, 'root'),
        '--exec-root', join(dir, 'exec'),
        '--pidfile', join(dir, 'pid'),
        '--host', `unix://${this.socket}`,
        '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip-forward=false',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer): void => void (this.output = (this.output + chunk.toString('utf8')).slice(-20_000));
    this.daemon.stdout!.on('data', keep);
    this.daemon.stderr!.on('data', keep);
    const exited = new Promise<never>((_, reject) => this.daemon!.once('exit', (code) => reject(new Error(`dockerd exited ${code}: ${this.output}`))));
    exited.catch(() => undefined);
    await Promise.race([waitFor('dockerd /version', () => this.version().catch(() => undefined), 60_000, 100), exited]);
  }

  /** Stops the daemon (SIGTERM: it stops its containers first, as on a real host) and waits for it to exit. */
  async stopDaemon(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
    daemon.kill('SIGTERM');
    const timer = setTimeout(() => daemon.kill('SIGKILL'), 30_000);
    await gone;
    clearTimeout(timer);
  }

  version(): Promise<{ ApiVersion: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socket, path: '/version' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as { ApiVersion: string }) : reject(new Error(body))));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The docker CLI against this daemon; resolves with stdout. */
  async docker(...args: string[]): Promise<string> {
    const { stdout } = await run(DOCKER_CLI, ['-H', `unix://${this.socket}`, ...args], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeout: 120_000 });
    return stdout.trim();
  }

  /** `FROM scratch` + busybox as the entrypoint: `run IMAGE sh -c ...`, `httpd -f -p PORT`, `sleep`. */
  async buildBusybox(tag = BUSYBOX_IMAGE): Promise<string> {
    const ctx = join(this.dir, 'image');
    mkdirSync(ctx, { recursive: true });
    copyFileSync(BUSYBOX, join(ctx, 'busybox'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n');
    await this.docker('build', '-q', '-t', tag, ctx);
    return tag;
  }

  /** A container on the host network (so the agent checks it on loopback), created and not started. */
  async create(name: string, args: string[], options: { restart?: string; image?: string } = {}): Promise<void> {
    await this.docker('create', '--name', name, '--network', 'host', ...(options.restart ? ['--restart', options.restart] : []), options.image ?? BUSYBOX_IMAGE, ...args);
  }

  /** The same, started. */
  async run(name: string, args: string[], options: { restart?: string; image?: string } = {}): Promise<void> {
    await this.create(name, args, options);
    await this.docker('start', name);
  }

  async state(name: string): Promise<{ Status: string; Running: boolean; ExitCode: number; StartedAt: string }> {
    return JSON.parse(await this.docker('inspect', '--format', '{{json .State}}', name)) as { Status: string; Running: boolean; ExitCode: number; StartedAt: string };
  }

  /** Removes every container, stops the daemon and deletes its directory. */
  async close(): Promise<void> {
    if (this.daemon && this.daemon.exitCode === null) {
      const ids = await this.docker('ps', '-aq').catch(() => '');
      if (ids) await this.docker('rm', '-f', ...ids.split('\n')).catch(() => undefined);
    }
    await this.stopDaemon();
    // dockerd leaves its default network namespace mounted under the exec root.
    await run('umount', ['-l', join(this.dir, 'exec', 'netns', 'default')]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}
