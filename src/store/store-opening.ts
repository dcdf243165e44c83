// Opening the store: a corrupted or locked database stops start-up with a clear message, never an empty registry.
import type { Store } from './store.js';

export class StoreOpenError extends Error {}

export async function openStoreOrExplain(dataDir: string, open: (location: string) => Promise<Store>): Promise<Store> {
  const location = `${dataDir.replace(/\/$/, '')}/db`;
  try {
    return await open(location);
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    if (/lock/i.test(cause)) {
      throw new StoreOpenError(`the store ${location} is in use by another process (is an agent already running on this dataDir?)`);
    }
    throw new StoreOpenError(
      `the store ${location} cannot be opened: ${cause}. ` +
        `Nothing was changed. To attempt a repair, stop the agent and run: sma-bridge repair-store --data-dir ${dataDir}`,
    );
  }
}
