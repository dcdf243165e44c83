// How an object's instances are fetched (through operations) and how its resources bind to operations.
import type { OperationName } from '../../operations/schemas.js';
import type { ResourceValue } from '../content/node.js';

/** Runs one operation through the intake and gives its result; throws SmaError on a failed reply. */
export type Ask = (op: OperationName, body: Record<string, unknown>) => Promise<unknown>;

/** What a Write, Execute, Create or Delete does: an operation through the intake, or a front-local effect. */
export type Effect =
  /** `onFailure`: told when the operation's reply is an error (e.g. object 9's Uninstall: Update Result 59). */
  | { op: OperationName; body: Record<string, unknown>; onFailure?: () => void }
  /** A change the front keeps itself; a promise when it is stored first (the response waits for it). */
  | { local: () => void | Promise<void> }
  /** Runs once the CoAP response is on the wire (e.g. a reboot). */
  | { afterSent: () => void };

export interface WriteRequest<I> {
  instance: I;
  value: ResourceValue;
  /** PUT replaces the resource; POST on an instance updates it partially. */
  mode: 'replace' | 'update';
}

/** One resource's binding: where its value comes from and which operation a Write or Execute runs. */
export interface ResourceBinding<I> {
  /** Extra data an instance read must fetch for this resource (e.g. metrics, config). */
  needs?: string;
  /** Whether the resource exists on this instance (e.g. Reboot only with a reboot command); default yes. */
  present?(instance: I): boolean;
  read?(instance: I): ResourceValue | ResourceValue[] | undefined;
  write?(req: WriteRequest<I>): Effect;
  execute?(instance: I, args: string): Effect;
}

export type BindingTable<I> = ReadonlyMap<number, ResourceBinding<I>>;

export interface InstanceQuery {
  /** One instance, or every instance when absent. */
  instanceId?: number;
  /** Union of the `needs` of the resources asked for. */
  needs: ReadonlySet<string>;
}

/** The instances of one object. Adding an object is a DDF file plus one of these. */
export interface ObjectSource<I> {
  readonly objectId: number;
  readonly bindings: BindingTable<I>;
  read(ask: Ask, query: InstanceQuery): Promise<Map<number, I>>;
  /** Create: the registration formed from the written resource values (by resource id), at `instanceId` if named. */
  create?(values: ReadonlyMap<number, ResourceValue>, instanceId?: number): Effect;
  delete?(instance: I): Effect;
}
