// How each spawned service last ended, kept across agent restarts: an operator looking at a service after
// the agent (or the gateway) came back still sees the exit code and time that explain its state.
import type { ProcessExit } from '../executor/executor.js';
import type { Section, Store } from '../store/store.js';

export interface ExitMemory {
  recall(): Promise<Map<string, ProcessExit>>;
  remember(name: string, exit: ProcessExit): Promise<void>;
  forget(name: string): Promise<void>;
}

/** In the agent's store, one small entry per service. Not synced: a last exit lost to power loss is no harm. */
export class StoreExitMemory implements ExitMemory {
  private readonly exits: Section<ProcessExit>;

  constructor(store: Store) {
    this.exits = store.section<ProcessExit>('service-exits');
  }

  async recall(): Promise<Map<string, ProcessExit>> {
    const found = new Map<string, ProcessExit>();
    for await (const [name, exit] of this.exits.entries()) found.set(name, exit);
    return found;
  }

  remember(name: string, exit: ProcessExit): Promise<void> {
    return this.exits.put(name, exit);
  }

  forget(name: string): Promise<void> {
    return this.exits.del(name);
  }
}
