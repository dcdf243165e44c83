// The client's object tree: object models (from DDF) joined with instance sources; reads records by path.
import { coerce, formatPath, type Lwm2mPath, type Lwm2mRecord, type ResourceValue } from './content/node.js';
import type { Link } from './content/link-format.js';
import type { TypeOf } from './content/tlv-format.js';
import { can, resourceTypeIn, type ObjectModel, type Operation, type ResourceModel } from './model/object-model.js';
import { CoapFailure } from './objects/coap-failure.js';
import type { Ask, ObjectSource, ResourceBinding } from './objects/object-source.js';

/** Instance reads shared by one round of work (a notification sweep, a registration refresh). */
export type ReadCache = Map<string, Promise<Map<number, unknown>>>;

export interface ResolvedResource {
  model: ResourceModel;
  binding: ResourceBinding<unknown> | undefined;
}

export class ObjectTree {
  private readonly sources = new Map<number, ObjectSource<unknown>>();

  constructor(
    private readonly models: ReadonlyMap<number, ObjectModel>,
    sources: ReadonlyArray<ObjectSource<unknown>>,
  ) {
    for (const s of sources) {
      if (!models.has(s.objectId)) throw new Error(`no DDF file defines object ${s.objectId}`);
      this.sources.set(s.objectId, s);
    }
  }

  /** Objects the client serves: a DDF model and an instance source. */
  objectIds(): number[] {
    return [...this.sources.keys()].sort((a, b) => a - b);
  }

  model(objectId: number): ObjectModel | undefined {
    return this.sources.has(objectId) ? this.models.get(objectId) : undefined;
  }

  source(objectId: number): ObjectSource<unknown> | undefined {
    return this.sources.get(objectId);
  }

  readonly typeOf: TypeOf = resourceTypeIn((id) => this.model(id));

  /** The object model, or 4.04. */
  objectOf(path: Lwm2mPath): ObjectModel {
    const model = path.length > 0 ? this.model(path[0]!) : undefined;
    if (!model) throw new CoapFailure('4.04', `no object ${formatPath(path.slice(0, 1))}`);
    return model;
  }

  /** The resource at path[2], or 4.04; 4.05 when the DDF does not allow `op` on it. */
  resourceOf(path: Lwm2mPath, op: Operation): ResolvedResource {
    const object = this.objectOf(path);
    const model = object.resources.get(path[2]!);
    const binding = this.sources.get(object.id)!.bindings.get(path[2]!);
    if (!model) throw new CoapFailure('4.04', `no resource ${formatPath(path.slice(0, 3))}`);
    if (!can(model, op)) throw new CoapFailure('4.05', `${op} is not allowed on ${formatPath(path.slice(0, 3))}`);
    if (path.length === 4 && !model.multiple) throw new CoapFailure('4.04', `${formatPath(path.slice(0, 3))} has no instances`);
    return { model, binding };
  }

  /** Instances of an object (all, or the one in path[1]) with the data `resourceIds` need. */
  async instances(ask: Ask, path: Lwm2mPath, resourceIds?: Iterable<number>, cache?: ReadCache): Promise<Map<number, unknown>> {
    const source = this.sources.get(this.objectOf(path).id)!;
    const needs = new Set<string>();
    for (const rid of resourceIds ?? source.bindings.keys()) {
      const need = source.bindings.get(rid)?.needs;
      if (need) needs.add(need);
    }
    // Within a shared round every reader asks for the whole object once, whatever instance it wants.
    const query = { instanceId: cache ? undefined : path[1], needs };
    const key = `${source.objectId}|${[...needs].sort().join(',')}`;
    let pending = cache?.get(key);
    if (!pending) {
      pending = source.read(ask, query);
      cache?.set(key, pending);
    }
    const found = await pending;
    if (path.length >= 2 && !found.has(path[1]!)) throw new CoapFailure('4.04', `no instance ${formatPath(path.slice(0, 2))}`);
    return found;
  }

  /** Every readable value under `path` as records (4.04 for a missing path, 4.05 for a non-readable resource). */
  async read(ask: Ask, path: Lwm2mPath, cache?: ReadCache): Promise<Lwm2mRecord[]> {
    const object = this.objectOf(path);
    if (path.length >= 3) this.resourceOf(path, 'R');
    const resourceIds = path.length >= 3 ? [path[2]!] : [...object.resources.values()].filter((r) => can(r, 'R')).map((r) => r.id);
    const instances = await this.instances(ask, path, resourceIds, cache);
    const records: Lwm2mRecord[] = [];
    for (const [iid, instance] of [...instances].sort((a, b) => a[0] - b[0])) {
      if (path.length >= 2 && iid !== path[1]) continue;
      for (const rid of resourceIds) {
        const model = object.resources.get(rid)!;
        const raw = this.sources.get(object.id)!.bindings.get(rid)?.read?.(instance);
        if (raw === undefined) continue;
        records.push(...this.toRecords([object.id, iid, rid], model, raw));
      }
    }
    const selected = path.length === 4 ? records.filter((r) => r.path[3] === path[3]) : records;
    if (path.length >= 3 && selected.length === 0) throw new CoapFailure('4.04', `${formatPath(path)} has no value`);
    return selected;
  }

  private toRecords(path: number[], model: ResourceModel, raw: ResourceValue | ResourceValue[]): Lwm2mRecord[] {
    if (!model.multiple) return [{ path, type: model.type, value: coerce(model.type, Array.isArray(raw) ? raw[0]! : raw) }];
    const values = Array.isArray(raw) ? raw : [raw];
    return values.map((v, i) => ({ path: [...path, i], type: model.type, value: coerce(model.type, v) }));
  }

  /** Registration links: `</o>;ver=..` for each object, `</o/i>` for each instance (up to `maxInstances`). */
  async links(ask: Ask, maxInstances: number, cache?: ReadCache): Promise<Link[]> {
    const links: Link[] = [];
    // The Security object is never announced (TS Core 6.2.1: not part of the registered objects).
    for (const oid of this.objectIds().filter((id) => id !== 0)) {
      const model = this.models.get(oid)!;
      const instances = await this.instances(ask, [oid], [], cache);
      const ids = instances.size > maxInstances ? [] : [...instances.keys()].sort((a, b) => a - b);
      if (ids.length === 0 || model.version !== '1.0') links.push({ uri: `/${oid}`, attributes: model.version !== '1.0' ? { ver: model.version } : {} });
      for (const iid of ids) links.push({ uri: `/${oid}/${iid}`, attributes: {} });
    }
    return links;
  }
}
