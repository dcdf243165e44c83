// Object 9's User Name (14) and Password (15): HTTP Basic credentials for the next Package URI's download,
// written before it. They are write-only secrets: held here in memory per service (never read back, logged or
// stored by the front), handed to the deploy request of the Package URI (which stores them only while its
// download may need them: src/deploy/download-credentials.ts), and kept for an Install after a failed one (the
// package is fetched again). An Uninstall "for update" or an empty write forgets them; a restart loses them.
import type { Effect } from './object-source.js';
import { CoapFailure } from './coap-failure.js';

interface Written {
  username?: string;
  password?: string;
}

/** RFC 7617: a user-id holds no colon; neither holds control characters (the deploy request refuses them too). */
const USERNAME = /^[^:\u0000-\u001f\u007f]{0,255}$/;
const PASSWORD = /^[^\u0000-\u001f\u007f]{0,255}$/;

export class PackageCredentials {
  private readonly byService = new Map<string, Written>();

  /**
   * The Write of 14 or 15. `trusted`: the server is authenticated (DTLS) or the NoSec opt-in
   * (`lwm2m.noSecPackageDigest`) says its word stands. Over plain NoSec they are refused: they would cross the
   * network in clear, and whoever can spoof the server's address could make the agent present them to a server
   * of its choosing, for the same reason a NoSec Package URI's own digest is refused.
   */
  write(service: string, field: keyof Written, value: string, trusted: boolean): Effect {
    if (!trusted) throw new CoapFailure('4.03', 'NoSec: User Name and Password are refused (they would travel in clear, from a server anyone could pose as); use DTLS or set lwm2m.noSecPackageDigest');
    if (!(field === 'username' ? USERNAME : PASSWORD).test(value)) throw new CoapFailure('4.00', `${field === 'username' ? 'User Name' : 'Password'}: at most 255 characters, no control characters${field === 'username' ? ', no colon' : ''}`);
    return {
      local: () => {
        const now = { ...this.byService.get(service), [field]: value === '' ? undefined : value };
        if (now.username === undefined && now.password === undefined) this.byService.delete(service);
        else this.byService.set(service, now);
      },
    };
  }

  /** The Basic credentials for the service's next download, when a User Name or Password was written. */
  of(service: string): { username: string; password: string } | undefined {
    const w = this.byService.get(service);
    return w ? { username: w.username ?? '', password: w.password ?? '' } : undefined;
  }

  forget(service: string): void {
    this.byService.delete(service);
  }
}
