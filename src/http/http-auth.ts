// Who is calling: HTTP Basic (username + password) or Bearer (a token), checked against http.users' scrypt
// hashes. A checked Authorization header is remembered briefly, good or bad: scrypt costs ~50 ms a check on
// a Pi, and a client retrying the same wrong token must not cost it again.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ExpiringMap } from '../expiring-map.js';
import { BUSY, type CredentialGate } from '../security/credential-gate.js';
import type { HttpPrincipal } from './router.js';

export interface HttpUser {
  username: string;
  passwordHash?: string;
  tokenHash?: string;
  role: HttpPrincipal['role'];
}

const REMEMBER_MS = 5 * 60_000;
const REMEMBER_REFUSED_MS = 30_000;
const REMEMBER_MAX = 256;

type Checked = HttpPrincipal | undefined;

export class HttpAuthenticator {
  /** By digest of the Authorization header; wrapped, since a remembered refusal is `undefined`. */
  private readonly checked: ExpiringMap<string, { principal: Checked }>;

  constructor(
    private readonly users: readonly HttpUser[],
    private readonly gate: CredentialGate,
    now: () => number,
  ) {
    this.checked = new ExpiringMap(REMEMBER_MAX, now);
  }

  /** The caller; undefined when the credentials are missing or wrong; BUSY when no check could be made now. */
  async authenticate(req: IncomingMessage): Promise<Checked | typeof BUSY> {
    const header = req.headers.authorization;
    if (!header || header.length > 4096) return undefined;
    const digest = createHash('sha256').update(header).digest('base64');
    const known = this.checked.get(digest);
    if (known) return known.principal;
    const principal = await this.check(header);
    if (principal === BUSY) return BUSY;
    this.checked.set(digest, { principal }, principal ? REMEMBER_MS : REMEMBER_REFUSED_MS);
    return principal;
  }

  private async check(header: string): Promise<Checked | typeof BUSY> {
    const [scheme, credentials = ''] = header.split(' ', 2);
    if (scheme.toLowerCase() === 'basic') {
      const text = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 1) return undefined;
      const user = this.users.find((u) => u.username === text.slice(0, colon));
      if (!user?.passwordHash) return undefined;
      const ok = await this.gate.check(text.slice(colon + 1), user.passwordHash).catch(() => false);
      return ok === BUSY ? BUSY : ok ? { role: user.role, username: user.username } : undefined;
    }
    if (scheme.toLowerCase() === 'bearer' && credentials.length > 0) {
      // A token names no user: each token hash is tried, one gate place each.
      for (const user of this.users) {
        if (!user.tokenHash) continue;
        const ok = await this.gate.check(credentials, user.tokenHash).catch(() => false);
        if (ok === BUSY) return BUSY;
        if (ok) return { role: user.role, username: user.username };
      }
    }
    return undefined;
  }
}
