// Execute (with arguments), Create and Delete.
import { codecs } from '../content/content-formats.js';
import { formatPath, UNSPECIFIED_INSTANCE, type ResourceValue } from '../content/node.js';
import type { ServiceView } from '../../model.js';
import { commandKeyOf } from '../command-key.js';
import { CoapFailure } from '../objects/coap-failure.js';
import type { DownlinkRequest, DownlinkResponse } from '../transport/downlink.js';
import { runEffect } from './effect-runner.js';
import type { HandlerContext } from './handler-context.js';

/** LwM2M 1.1 Execute arguments: `0='abc',1` (TS Core 5.4.5); 4.00 when malformed. */
export function parseExecuteArgs(text: string): Map<number, string | undefined> {
  const args = new Map<number, string | undefined>();
  if (text === '') return args;
  const arg = /^(\d)(?:='([\x21\x23-\x26\x28-\x5b\x5d-\x7e ]*)')?(,|$)/;
  let rest = text;
  while (rest.length > 0) {
    const m = arg.exec(rest);
    if (!m) throw new CoapFailure('4.00', 'malformed Execute arguments');
    if (args.has(Number(m[1]))) throw new CoapFailure('4.00', `argument ${m[1]} given twice`);
    args.set(Number(m[1]), m[2]);
    rest = rest.slice(m[0].length);
    if (m[3] === ',' && rest === '') throw new CoapFailure('4.00', 'malformed Execute arguments');
  }
  return args;
}

export async function handleExecute(ctx: HandlerContext, req: DownlinkRequest): Promise<DownlinkResponse> {
  const { binding } = ctx.tree.resourceOf(req.path, 'E');
  const text = req.payload.toString('utf8');
  parseExecuteArgs(text);
  const instances = await ctx.tree.instances(ctx.intake.ask, req.path.slice(0, 2), []);
  const instance = instances.get(req.path[1]!);
  if (!binding?.execute || binding.present?.(instance) === false) throw new CoapFailure('4.04', `${formatPath(req.path)} is not present`);
  const response = await runEffect(ctx, commandKeyOf(req), binding.execute(instance, text), '2.04');
  // Front-held values may have changed with it (object 9's Update State and Result after an Uninstall) with no
  // agent event to say so: a sweep re-reads the instance's observations and notifies only what differs.
  ctx.observations.changed(req.path.slice(0, 2));
  return response;
}

export async function handleCreate(ctx: HandlerContext, req: DownlinkRequest): Promise<DownlinkResponse> {
  const object = ctx.tree.objectOf(req.path);
  const source = ctx.tree.source(object.id)!;
  if (!object.multiple || !source.create) throw new CoapFailure('4.05', `Create is not allowed on ${formatPath(req.path)}`);
  const codec = req.contentFormat === undefined ? undefined : codecs.get(req.contentFormat);
  if (!codec || !codec.multiValue) throw new CoapFailure('4.15', 'Create takes TLV, SenML JSON or SenML CBOR');
  const records = codec.decode(req.path, req.payload, ctx.tree.typeOf);
  const instanceIds = new Set(records.map((r) => r.path[1]!));
  if (instanceIds.size > 1) throw new CoapFailure('4.00', 'Create makes one instance at a time');
  const values = new Map<number, ResourceValue>();
  for (const r of records) {
    if (!object.resources.has(r.path[2]!) || r.path.length !== 3) throw new CoapFailure('4.00', `${formatPath(r.path)} is not a resource of ${object.name}`);
    values.set(r.path[2]!, r.value);
  }
  const named = [...instanceIds][0];
  // TS Core 6.3.6: an id the server names is used, or refused (4.00) when it is taken.
  const asked = named === undefined || named === UNSPECIFIED_INSTANCE ? undefined : named;
  const response = await runEffect(ctx, commandKeyOf(req), source.create(values, asked), '2.01', (result) => {
    const view = result as ServiceView;
    return { locationPath: [String(object.id), String(view.instanceId)] };
  });
  ctx.observations.changed([object.id]);
  return response;
}

export async function handleDelete(ctx: HandlerContext, req: DownlinkRequest): Promise<DownlinkResponse> {
  if (req.path.length !== 2) throw new CoapFailure('4.05', 'Delete takes an object instance path');
  const object = ctx.tree.objectOf(req.path);
  const source = ctx.tree.source(object.id)!;
  if (!source.delete) throw new CoapFailure('4.05', `Delete is not allowed on ${object.name}`);
  const instances = await ctx.tree.instances(ctx.intake.ask, req.path, []);
  const response = await runEffect(ctx, commandKeyOf(req), source.delete(instances.get(req.path[1]!)), '2.02');
  if (response.code === '2.02') {
    ctx.attributes.forget(req.path);
    ctx.observations.changed(req.path);
  }
  return response;
}
