// A private dockerd for benchmarks (the same setup as test/support/dockerd.ts, which the tests use): own data
// root, socket and exec root under /tmp, no bridge, no iptables; a busybox image FROM scratch.
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DOCKER_CLI = '/usr/bin/docker';

/** One Engine API call (JSON answer or empty), for timing what the docker CLI adds. */
export function engineCall(socketPath, method, path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode < 400 ? resolve(body ? JSON.parse(body) : undefined) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function startDockerd() {
  const dir = mkdtempSync('/tmp/smadk-');
  const socket = join(dir, 'docker.sock');
  const daemon = spawn('dockerd', ['--data-root', join(dir, 'root'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'pid'),
    '--host', `unix://${socket}`, '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--log-level=warn'], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      await engineCall(socket, 'GET', '/version');
      break;
    } catch (err) {
      if (i > 600) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const docker = async (...args) => (await run(DOCKER_CLI, ['-H', `unix://${socket}`, ...args], { env: { ...process.env, DOCKER_BUILDKIT: '0' } })).stdout.trim();
  const ctx = join(dir, 'image');
  mkdirSync(ctx);
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n');
  await docker('build', '-q', '-t', 'sma-bench-busybox', ctx);
  return {
    socket,
    docker,
    async stop() {
      const ids = await docker('ps', '-aq').catch(() => '');
      if (ids) await docker('rm', '-f', ...ids.split('\n')).catch(() => undefined);
      await new Promise((resolve) => { daemon.once('exit', resolve); daemon.kill('SIGTERM'); });
      await run('umount', ['-l', join(dir, 'exec', 'netns', 'default')]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
