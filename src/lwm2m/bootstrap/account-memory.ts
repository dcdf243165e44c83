// What the LwM2M client must find again after a restart: the server account a Bootstrap-Server gave it
// (so it registers directly, TS Core 6.1) and a Lifetime a server wrote into 1/0/1.
import type { StoredAccount } from './server-account.js';

export interface RememberedAccount {
  bootstrapped?: StoredAccount;
  /** A Lifetime a server wrote, with the configured lifetime it replaced: a changed configuration wins again. */
  writtenLifetime?: { lifetimeS: number; overConfigS: number };
}

/**
 * Where the account is kept: the agent's store, synced (a bootstrap that is acknowledged with Bootstrap-Finish
 * 2.04 must not be lost), handed over by the composition root; undefined until anything was remembered.
 */
export interface AccountMemory {
  recall(): Promise<RememberedAccount | undefined>;
  remember(account: RememberedAccount): Promise<void>;
}

/** For a client without a store (tests of the front alone): forgets everything at exit. */
export class TransientAccountMemory implements AccountMemory {
  private account: RememberedAccount = {};
  async recall(): Promise<RememberedAccount | undefined> {
    return structuredClone(this.account);
  }
  async remember(account: RememberedAccount): Promise<void> {
    this.account = structuredClone(account);
  }
}
