// Write-Attributes: notification attributes per path, inherited object -> instance -> resource.
import { formatPath, type Lwm2mPath } from '../content/node.js';
import type { NotificationAttributes } from './notification-policy.js';

export type AttributeName = keyof NotificationAttributes;
export const ATTRIBUTE_NAMES: readonly AttributeName[] = ['pmin', 'pmax', 'gt', 'lt', 'st'];

export class AttributeStore {
  private readonly byPath = new Map<string, NotificationAttributes>();

  /** Attributes written on exactly this path. */
  own(path: Lwm2mPath): NotificationAttributes {
    return { ...this.byPath.get(formatPath(path)) };
  }

  /** Sets (number) or clears (undefined) attributes on a path. */
  apply(path: Lwm2mPath, changes: Partial<Record<AttributeName, number | undefined>>): void {
    const key = formatPath(path);
    const next: NotificationAttributes = { ...this.byPath.get(key) };
    for (const [name, value] of Object.entries(changes) as Array<[AttributeName, number | undefined]>) {
      if (value === undefined) delete next[name];
      else next[name] = value;
    }
    if (Object.keys(next).length === 0) this.byPath.delete(key);
    else this.byPath.set(key, next);
  }

  /** What applies to `path`: the object's, overridden by the instance's, by the resource's. */
  effective(path: Lwm2mPath): NotificationAttributes {
    const out: NotificationAttributes = {};
    for (let depth = 1; depth <= Math.min(path.length, 3); depth++) Object.assign(out, this.byPath.get(formatPath(path.slice(0, depth))));
    return out;
  }

  /** Drops attributes under a path (its instance was deleted). */
  forget(prefix: Lwm2mPath): void {
    const p = formatPath(prefix);
    for (const key of [...this.byPath.keys()]) if (key === p || key.startsWith(`${p}/`)) this.byPath.delete(key);
  }
}
