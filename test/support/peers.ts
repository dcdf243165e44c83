// Real peers: present -> the test runs; absent -> it skips with one line naming the Debian package,
// unless SMA_REQUIRE_PEERS=1 (CI), where an absent peer is a failure.
import { execFileSync } from 'node:child_process';
import { REQUIRE_PEERS_FLAG } from './runner-env.js';

export function hasPeer(binary: string, debianPackage: string): boolean {
  let found = true;
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', binary], { stdio: 'ignore' });
  } catch {
    found = false;
  }
  if (found) return true;
  if (process.env[REQUIRE_PEERS_FLAG] === '1') {
    throw new Error(`peer ${binary} is missing: apt-get install ${debianPackage} (SMA_REQUIRE_PEERS=1)`);
  }
  process.stderr.write(`skipped: ${binary} not found (Debian package ${debianPackage})\n`);
  return false;
}
