// scrypt runs on libuv's thread pool, which LevelDB's reads and writes share: a flood of logins with wrong
// passwords must not take every thread. The gate runs a few checks at a time and turns the rest away
// once its line is full; every credential check of every front goes through one gate.
import { verifyPassword } from './password-hash.js';

/** The answer when the line is full: the caller should try again later (503, CONNACK "server unavailable"). */
export const BUSY = 'busy' as const;

export type PasswordCheck = (password: string, hash: string) => Promise<boolean>;

export class CredentialGate {
  private running = 0;
  private readonly line: Array<() => void> = [];

  constructor(
    private readonly concurrency = 1,
    private readonly lineMax = 32,
    private readonly verify: PasswordCheck = verifyPassword,
  ) {}

  /** Whether `password` matches `hash`, or BUSY when too many checks are already waiting. */
  async check(password: string, hash: string): Promise<boolean | typeof BUSY> {
    if (this.running < this.concurrency) this.running++;
    else if (this.line.length >= this.lineMax) return BUSY;
    // A waiter is handed the finishing check's slot, so `running` never passes `concurrency`.
    else await new Promise<void>((resolve) => this.line.push(resolve));
    try {
      return await this.verify(password, hash);
    } finally {
      const next = this.line.shift();
      if (next) next();
      else this.running--;
    }
  }
}
