// The plugins devices are tied to, by a small index (0 = no plugin), with each plugin's trust level.
import type { TrustLevel } from '../model.js';

/** Plugins are registered services: a few per gateway. The cap keeps a device naming garbage plugins harmless. */
export const MAX_PLUGINS = 1_024;

export interface SavedPlugin {
  name: string;
  complete: boolean;
  /** Set while the plugin's devices wait for its re-registration: when the wait ends regardless. */
  awaitingUntil?: number;
}

export class PluginTable {
  /** Index 0 stands for "no plugin", which never lowers a device's level. */
  readonly names: string[] = [''];
  private readonly complete: boolean[] = [true];
  /** Plugin index -> end of the wait for its re-registration. */
  readonly awaiting = new Map<number, number>();
  private readonly index = new Map<string, number>();

  get count(): number {
    return this.names.length - 1;
  }

  /** The plugin's index, added (COMPLETE until its health says otherwise) when new; -1 when the table is full. */
  indexOf(name: string): number {
    const known = this.index.get(name);
    if (known !== undefined) return known;
    if (this.names.length > MAX_PLUGINS) return -1;
    const p = this.names.length;
    this.names.push(name);
    this.complete.push(true);
    this.index.set(name, p);
    return p;
  }

  find(name: string): number {
    return this.index.get(name) ?? -1;
  }

  isComplete(p: number): boolean {
    return this.complete[p] === true;
  }

  levelOf(p: number): TrustLevel {
    return this.complete[p] ? 'COMPLETE' : 'NONE';
  }

  setComplete(p: number, complete: boolean): void {
    this.complete[p] = complete;
  }

  save(): SavedPlugin[] {
    return this.names.slice(1).map((name, k) => {
      const until = this.awaiting.get(k + 1);
      return until === undefined ? { name, complete: this.complete[k + 1] === true } : { name, complete: this.complete[k + 1] === true, awaitingUntil: until };
    });
  }

  /** Restores saved plugins in their saved order, so the indexes kept in device rows stay right. */
  restore(saved: readonly SavedPlugin[]): void {
    for (const { name, complete, awaitingUntil } of saved) {
      const p = this.indexOf(name);
      this.setComplete(p, complete);
      if (awaitingUntil !== undefined) this.awaiting.set(p, awaitingUntil);
    }
  }
}
