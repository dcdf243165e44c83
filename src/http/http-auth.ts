// Who is calling: HTTP Basic (username + password) or Bearer (a token), checked against http.users' scrypt
// hashes. A verified Authorization header is remembered briefly: scrypt costs ~50 ms a check on a Pi.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { verifyPassword } from '../security/password-hash.js';
import type { HttpPrincipal } from './router.js';

export interface HttpUser {
  username: string;
  passwordHash?: string;
  tokenHash?: string;
  role: HttpPrincipal['role'];
}

const REMEMBER_MS = 5 * 60_000;
const REMEMBER_MAX = 256;

export class HttpAuthenticator {
  private readonly verified = new Map<string, { principal: HttpPrincipal; until: number }>();

  constructor(
    private readonly users: readonly HttpUser[],
    private readonly now: () => number,
  ) {}

  /** The caller, or undefined when the credentials are missing or wrong. */
  async authenticate(req: IncomingMessage): Promise<HttpPrincipal | undefined> {
    const header = req.headers.authorization;
    if (!header || header.length > 4096) return undefined;
    const digest = createHash('sha256').update(header).digest('base64');
    const known = this.verified.get(digest);
    if (known && known.until > this.now()) return known.principal;
    const principal = await this.check(header);
    if (principal) {
      if (this.verified.size >= REMEMBER_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(digest, { principal, until: this.now() + REMEMBER_MS });
    }
    return principal;
  }

  private async check(header: string): Promise<HttpPrincipal | undefined> {
    const [scheme, credentials = ''] = header.split(' ', 2);
    if (scheme.toLowerCase() === 'basic') {
      const text = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      if (colon < 1) return undefined;
      const user = this.users.find((u) => u.username === text.slice(0, colon));
      if (!user?.passwordHash || !(await verifyPassword(text.slice(colon + 1), user.passwordHash))) return undefined;
      return { role: user.role, username: user.username };
    }
    if (scheme.toLowerCase() === 'bearer' && credentials.length > 0) {
      for (const user of this.users) {
        if (user.tokenHash && (await verifyPassword(credentials, user.tokenHash))) return { role: user.role, username: user.username };
      }
    }
    return undefined;
  }
}
