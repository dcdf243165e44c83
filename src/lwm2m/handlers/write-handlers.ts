// Write (PUT replace, POST partial update) and Write-Attributes.
import { codecs } from '../content/content-formats.js';
import { formatPath, type Lwm2mRecord } from '../content/node.js';
import { isNumeric } from '../model/object-model.js';
import { commandKeyOf } from '../command-key.js';
import { CoapFailure } from '../objects/coap-failure.js';
import { ATTRIBUTE_NAMES, type AttributeName } from '../observe/attribute-store.js';
import { respond, type DownlinkRequest, type DownlinkResponse } from '../transport/downlink.js';
import { runEffect } from './effect-runner.js';
import type { HandlerContext } from './handler-context.js';

export async function handleWrite(ctx: HandlerContext, req: DownlinkRequest, mode: 'replace' | 'update'): Promise<DownlinkResponse> {
  const path = req.path;
  if (path.length < 2) throw new CoapFailure('4.05', 'Write needs an instance or resource path');
  const codec = req.contentFormat === undefined ? undefined : codecs.get(req.contentFormat);
  if (!codec) throw new CoapFailure('4.15', `content format ${req.contentFormat ?? '(none)'} is not supported for Write`);
  const object = ctx.tree.objectOf(path);
  if (path.length >= 3) ctx.tree.resourceOf(path, 'W');
  const records = codec.decode(path, req.payload, ctx.tree.typeOf);
  if (records.length === 0) throw new CoapFailure('4.00', 'nothing to write');
  const byResource = new Map<number, Lwm2mRecord>();
  for (const r of records) {
    const rid = r.path[2]!;
    if (!object.resources.has(rid)) throw new CoapFailure('4.04', `no resource ${formatPath(r.path.slice(0, 3))}`);
    ctx.tree.resourceOf(r.path, 'W');
    if (r.path.length === 4) throw new CoapFailure('4.05', 'no multiple resource here is writable');
    byResource.set(rid, r);
  }
  const instances = await ctx.tree.instances(ctx.intake.ask, path.slice(0, 2), byResource.keys());
  const instance = instances.get(path[1]!);
  const source = ctx.tree.source(object.id)!;
  let last = respond('2.04');
  for (const [rid, record] of byResource) {
    const write = source.bindings.get(rid)?.write;
    if (!write) throw new CoapFailure('5.01', `${formatPath(record.path)} is writable in the model but not bound`);
    last = await runEffect(ctx, commandKeyOf(req, rid), write({ instance, value: record.value, mode }), '2.04');
    if (!last.code.startsWith('2.')) return last;
    ctx.observations.changed(record.path);
  }
  return last;
}

/** PUT with Uri-Query and no payload: pmin, pmax (integers >= 0), gt, lt, st (numbers, numeric resources). */
export async function handleWriteAttributes(ctx: HandlerContext, req: DownlinkRequest): Promise<DownlinkResponse> {
  const path = req.path;
  if (path.length === 0 || path.length > 3) throw new CoapFailure('4.00', 'Write-Attributes takes an object, instance or resource path');
  const object = ctx.tree.objectOf(path);
  const resource = path.length === 3 ? object.resources.get(path[2]!) : undefined;
  if (path.length === 3 && !resource) throw new CoapFailure('4.04', `no resource ${formatPath(path)}`);
  if (path.length >= 2) await ctx.tree.instances(ctx.intake.ask, path, []);
  const changes: Partial<Record<AttributeName, number | undefined>> = {};
  for (const [name, raw] of req.query) {
    if (!ATTRIBUTE_NAMES.includes(name as AttributeName)) throw new CoapFailure('4.00', `unknown attribute ${name}`);
    const attr = name as AttributeName;
    if (raw === undefined) {
      changes[attr] = undefined;
      continue;
    }
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value)) throw new CoapFailure('4.00', `${name} must be a number`);
    if ((attr === 'pmin' || attr === 'pmax') && (!Number.isInteger(value) || value < 0)) throw new CoapFailure('4.00', `${name} must be an integer >= 0`);
    if ((attr === 'gt' || attr === 'lt' || attr === 'st') && !(resource && !resource.multiple && isNumeric(resource.type)))
      throw new CoapFailure('4.00', `${name} applies only to a numeric single resource`);
    if (attr === 'st' && value < 0) throw new CoapFailure('4.00', 'st must be >= 0');
    changes[attr] = value;
  }
  const next = { ...ctx.attributes.own(path), ...changes };
  if (next.lt !== undefined && next.gt !== undefined) {
    if (!(next.lt < next.gt) || !(next.lt + 2 * (next.st ?? 0) < next.gt)) throw new CoapFailure('4.00', 'needs lt < gt and lt + 2*st < gt');
  }
  ctx.attributes.apply(path, changes);
  ctx.observations.attributesChanged(path);
  return respond('2.04');
}
