// When an observation notifies (LwM2M TS Core 5.1.2 / 7.3.2): pmin, pmax, gt, lt, st.

export interface NotificationAttributes {
  pmin?: number;
  pmax?: number;
  gt?: number;
  lt?: number;
  st?: number;
}

export type Decision = { action: 'send' } | { action: 'wait'; ms: number } | { action: 'none' };

/** Whether a change from `prev` to `next` matters under gt/lt/st (any change when none is set). */
export function changeMatters(a: NotificationAttributes, prev: number | undefined, next: number | undefined): boolean {
  if (a.gt === undefined && a.lt === undefined && a.st === undefined) return true;
  if (prev === undefined || next === undefined) return true;
  if (a.gt !== undefined && prev > a.gt !== next > a.gt) return true;
  if (a.lt !== undefined && prev < a.lt !== next < a.lt) return true;
  if (a.st !== undefined && Math.abs(next - prev) >= a.st) return true;
  return false;
}

export interface Observed {
  /** The value differs from the last one sent. */
  changed: boolean;
  prevNumber?: number;
  nextNumber?: number;
  /** Time since the last notification. */
  sinceLastMs: number;
  /** pmax ran out: send even without a change. */
  pmaxDue: boolean;
}

export function decide(a: NotificationAttributes, o: Observed): Decision {
  if (o.pmaxDue) return { action: 'send' };
  if (!o.changed || !changeMatters(a, o.prevNumber, o.nextNumber)) return { action: 'none' };
  const pminMs = (a.pmin ?? 0) * 1000;
  return o.sinceLastMs >= pminMs ? { action: 'send' } : { action: 'wait', ms: pminMs - o.sinceLastMs };
}

/** pmax applies only when larger than pmin (TS: "pmax MUST be greater than pmin", else ignored). */
export function pmaxMs(a: NotificationAttributes): number | undefined {
  if (a.pmax === undefined || a.pmax <= 0) return undefined;
  if (a.pmin !== undefined && a.pmax < a.pmin) return undefined;
  return a.pmax * 1000;
}
