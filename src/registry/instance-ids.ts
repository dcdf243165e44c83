// LwM2M 33000 instance ids for the agent's local providers: one per name, allocated once, kept forever.
// Embedded and manifest providers share this section, so a name keeps its id when the agent switches
// between them (registry.type sma <-> none, or an external registry falling back to the manifest).
import { invalidRequest, SmaError } from '../errors.js';
import type { Section, Store } from '../store/store.js';
import { Serial } from './serial.js';

/** '~' sorts after every character a service name may hold, so it never collides with a name. */
const NEXT = '~next';
/** Ids given on request (ahead of the counter), so the counter skips them. */
const claimKey = (id: number): string => `~claimed/${id}`;
/** LwM2M instance ids are 16-bit; 65535 is reserved (MAX_ID). */
const LAST_ID = 65534;

export class InstanceIds {
  private readonly section: Section<number>;
  private readonly serial = new Serial();

  constructor(store: Store, sectionName = 'registry-instance-ids') {
    this.section = store.section<number>(sectionName);
  }

  /**
   * The id of `name`, allocating (and persisting, awaited) one on first sight: `wanted` when given and free
   * (an LwM2M Create that names its instance), else the next free one. INVALID_REQUEST when `wanted` is
   * taken, or `name` already has another id.
   */
  idOf(name: string, wanted?: number): Promise<number> {
    return this.serial.run(async () => {
      const known = await this.section.get(name);
      if (known !== undefined && wanted !== undefined && known !== wanted) throw invalidRequest(`${name} already has instance id ${known}`);
      if (known !== undefined) return known;
      let next = (await this.section.get(NEXT)) ?? 0;
      if (wanted !== undefined) {
        if (await this.inUse(wanted)) throw invalidRequest(`instance id ${wanted} is in use`);
        await this.section.batch([
          { type: 'put', key: name, value: wanted },
          { type: 'put', key: claimKey(wanted), value: wanted },
        ]);
        return wanted;
      }
      // Ids claimed ahead of the counter are skipped.
      while (next <= LAST_ID && (await this.section.get(claimKey(next))) !== undefined) next++;
      if (next > LAST_ID) throw new SmaError('INTERNAL', 'no LwM2M instance id left (65535 names registered)');
      // One batch: the name's id and the counter move together or not at all.
      await this.section.batch([
        { type: 'put', key: name, value: next },
        { type: 'put', key: NEXT, value: next + 1 },
      ]);
      return next;
    });
  }

  /** A scan, but only for a requested id: an LwM2M Create is rare and there are at most 65535 names. */
  private async inUse(id: number): Promise<boolean> {
    for await (const [key, value] of this.section.entries()) if (value === id && !key.startsWith('~')) return true;
    return false;
  }
}
