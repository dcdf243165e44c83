// Plugin levels follow plugin health (CONTRACT section 8): COMPLETE while UP, NONE while DOWN. UNKNOWN (not
// checked yet, e.g. just after an agent restart) and absence keep the level last known.
import type { Logger } from 'pino';
import type { Health } from '../model.js';
import type { PluginTable } from './plugin-table.js';

export type PluginHealthSource = () => Array<{ name: string; health: Health }>;

export interface PluginLevelChange {
  plugin: number;
  name: string;
  complete: boolean;
}

export class PluginWatchdog {
  private sourceFailing = false;

  constructor(
    private readonly source: PluginHealthSource,
    private readonly plugins: PluginTable,
    private readonly log: Logger,
  ) {}

  /** Reads plugin health once and applies it to the table; returns the plugins whose level changed. */
  check(): PluginLevelChange[] {
    let list: Array<{ name: string; health: Health }>;
    try {
      list = this.source();
      this.sourceFailing = false;
    } catch (err) {
      if (!this.sourceFailing) this.log.warn({ err }, 'cannot read plugin health; plugin levels kept');
      this.sourceFailing = true;
      return [];
    }
    const changes: PluginLevelChange[] = [];
    for (const { name, health } of list) {
      if (health === 'UNKNOWN') continue;
      const p = this.plugins.indexOf(name);
      if (p < 0) continue;
      const complete = health === 'UP';
      if (this.plugins.isComplete(p) === complete) continue;
      this.plugins.setComplete(p, complete);
      this.log.info({ plugin: name, level: complete ? 'COMPLETE' : 'NONE' }, 'plugin trust level changed');
      changes.push({ plugin: p, name, complete });
    }
    return changes;
  }
}
