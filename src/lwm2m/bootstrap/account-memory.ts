// What the LwM2M client must find again after a restart: the server account a Bootstrap-Server gave it
// (so it registers directly, TS Core 6.1) and a Lifetime a server wrote into 1/0/1.
import { atomicWrite, type Section, type Store } from '../../store/store.js';
import type { StoredAccount } from './server-account.js';

const SECTION = 'lwm2m-account';

export interface RememberedAccount {
  bootstrapped?: StoredAccount;
  /** A Lifetime a server wrote, with the configured lifetime it replaced: a changed configuration wins again. */
  writtenLifetime?: { lifetimeS: number; overConfigS: number };
}

export interface AccountMemory {
  recall(): Promise<RememberedAccount>;
  remember(account: RememberedAccount): Promise<void>;
}

/** In the agent's store, synced: a bootstrap that is acknowledged (Bootstrap-Finish 2.04) must not be lost. */
export class StoreAccountMemory implements AccountMemory {
  private readonly section: Section<RememberedAccount>;

  constructor(private readonly store: Store) {
    this.section = store.section<RememberedAccount>(SECTION);
  }

  async recall(): Promise<RememberedAccount> {
    return (await this.section.get('account')) ?? {};
  }

  remember(account: RememberedAccount): Promise<void> {
    return atomicWrite(this.store, [{ section: SECTION, type: 'put', key: 'account', value: account }], { sync: true });
  }
}

/** For a client without a store (tests of the front alone): forgets everything at exit. */
export class TransientAccountMemory implements AccountMemory {
  private account: RememberedAccount = {};
  async recall(): Promise<RememberedAccount> {
    return structuredClone(this.account);
  }
  async remember(account: RememberedAccount): Promise<void> {
    this.account = structuredClone(account);
  }
}
