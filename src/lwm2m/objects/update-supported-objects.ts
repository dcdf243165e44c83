// Object 9's Update Supported Objects (8), per service: false until a server writes true. A server that wrote true
// expects a Registration Update after each install of that service for as long as it leaves it so, restarts
// included: the services it is set for are kept in the agent's store (handed over by the composition root; the
// front never imports the store), and a Write is answered 2.04 only once they are stored.

/** Where the names of the services with 8 = true survive a restart (a StoredValue, synced, in the agent). */
export interface AnnouncedServicesMemory {
  recall(): Promise<unknown>;
  remember(names: string[]): Promise<void>;
}

/** For a client without a store (tests of the front alone): forgets everything at exit. */
export class TransientAnnouncedServices implements AnnouncedServicesMemory {
  private names: string[] = [];
  async recall(): Promise<unknown> {
    return [...this.names];
  }
  async remember(names: string[]): Promise<void> {
    this.names = [...names];
  }
}

/** Service names as the registry allows them, at most this many: a stored value of any other shape is dropped. */
const MAX_NAMES = 100_000;

export class UpdateSupportedObjects {
  private names = new Set<string>();
  /** Writes go to the memory one at a time, in the order the server sent them. */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly memory: AnnouncedServicesMemory = new TransientAnnouncedServices()) {}

  /** At start: what a server wrote before the restart. */
  async load(): Promise<void> {
    const stored = await this.memory.recall();
    const names = Array.isArray(stored) ? stored.slice(0, MAX_NAMES).filter((n): n is string => typeof n === 'string') : [];
    this.names = new Set(names);
  }

  has(service: string): boolean {
    return this.names.has(service);
  }

  /** The Write of 8; resolves once stored. A failed store leaves the value as it was (the Write then fails). */
  set(service: string, on: boolean): Promise<void> {
    const next = this.writes.catch(() => undefined).then(async () => {
      if (this.names.has(service) === on) return;
      const after = new Set(this.names);
      if (on) after.add(service);
      else after.delete(service);
      await this.memory.remember([...after].sort());
      this.names = after;
    });
    this.writes = next;
    return next;
  }
}
