// LwM2M 33000 instance ids for the agent's local providers: one per name, allocated once, kept forever.
// Embedded and manifest providers share this section, so a name keeps its id when the agent switches
// between them (registry.type sma <-> none, or an external registry falling back to the manifest).
import { SmaError } from '../errors.js';
import type { Section, Store } from '../store/store.js';
import { Serial } from './serial.js';

/** '~' sorts after every character a service name may hold, so it never collides with a name. */
const NEXT = '~next';
/** LwM2M instance ids are 16-bit; 65535 is reserved (MAX_ID). */
const LAST_ID = 65534;

export class InstanceIds {
  private readonly section: Section<number>;
  private readonly serial = new Serial();

  constructor(store: Store, sectionName = 'registry-instance-ids') {
    this.section = store.section<number>(sectionName);
  }

  /** The id of `name`, allocating (and persisting, awaited) the next free one on first sight. */
  idOf(name: string): Promise<number> {
    return this.serial.run(async () => {
      const known = await this.section.get(name);
      if (known !== undefined) return known;
      const next = (await this.section.get(NEXT)) ?? 0;
      if (next > LAST_ID) throw new SmaError('INTERNAL', 'no LwM2M instance id left (65535 names registered)');
      // One batch: the name's id and the counter move together or not at all.
      await this.section.batch([
        { type: 'put', key: name, value: next },
        { type: 'put', key: NEXT, value: next + 1 },
      ]);
      return next;
    });
  }
}
