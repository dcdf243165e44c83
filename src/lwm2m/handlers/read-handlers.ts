// Read, Observe (and Cancel) and Discover.
import { encodeLinks, LINK_FORMAT, type Link } from '../content/link-format.js';
import { formatPath, type Lwm2mPath } from '../content/node.js';
import { can } from '../model/object-model.js';
import { CoapFailure } from '../objects/coap-failure.js';
import type { ObserveChannel } from '../transport/observe-channel.js';
import { respond, type DownlinkRequest, type DownlinkResponse } from '../transport/downlink.js';
import type { HandlerContext } from './handler-context.js';
import { chooseCodec } from './representation.js';

const peerOf = (req: DownlinkRequest): string => `${req.source.address}:${req.source.port}`;
const observationKey = (req: DownlinkRequest): string => `${req.token}@${peerOf(req)}`;

export async function handleRead(ctx: HandlerContext, req: DownlinkRequest): Promise<DownlinkResponse> {
  if (req.path.length === 0) throw new CoapFailure('4.05', 'Read needs an object path');
  if (req.observe === 1) ctx.observations.cancel(observationKey(req));
  const codec = chooseCodec(ctx.tree, req.path, req.accept, ctx.multiValueFormat());
  const records = await ctx.tree.read(ctx.intake.ask, req.path);
  return respond('2.05', codec.encode(req.path, records), codec.format);
}

export async function handleObserve(ctx: HandlerContext, req: DownlinkRequest, channel: ObserveChannel): Promise<DownlinkResponse> {
  if (req.path.length === 0) throw new CoapFailure('4.05', 'Observe needs an object path');
  const codec = chooseCodec(ctx.tree, req.path, req.accept, ctx.multiValueFormat());
  const records = await ctx.tree.read(ctx.intake.ask, req.path);
  const payload = codec.encode(req.path, records);
  const key = observationKey(req);
  if (!ctx.observations.accepts(key)) {
    // Full: answered as a Read, without Observe, so the server knows no observation was made (RFC 7641 4.1).
    ctx.log.warn({ path: formatPath(req.path), observations: ctx.observations.size }, 'observation limit reached; Observe answered as a Read');
    channel.decline();
    return respond('2.05', payload, codec.format);
  }
  const only = records.length === 1 ? records[0]!.value : undefined;
  ctx.observations.add({
    key,
    path: req.path,
    codec,
    channel,
    lastSentAt: ctx.clock.now(),
    lastPayload: payload,
    lastNumber: typeof only === 'number' ? only : undefined,
  });
  return respond('2.05', payload, codec.format);
}

/**
 * A Block2 follow-up of a notification: the body that notification carried (so every block matches its
 * ETag) with the observation's sequence number; without a live observation, a fresh read.
 */
export async function handleNotificationBlock(ctx: HandlerContext, req: DownlinkRequest): Promise<DownlinkResponse> {
  const current = ctx.observations.lastSent(observationKey(req), req.path, peerOf(req));
  if (current) return { ...respond('2.05', current.payload, current.format), observe: current.sequence };
  return handleRead(ctx, req);
}

function attributesOf(ctx: HandlerContext, path: Lwm2mPath): Link['attributes'] {
  return { ...ctx.attributes.own(path) } as Link['attributes'];
}

/** Discover (LwM2M 1.1): the object or instance with its instances and present resources, with attributes. */
export async function handleDiscover(ctx: HandlerContext, req: DownlinkRequest): Promise<DownlinkResponse> {
  const path = req.path;
  if (path.length === 0 || path.length > 3) throw new CoapFailure('4.00', 'Discover takes an object, instance or resource path');
  const object = ctx.tree.objectOf(path);
  if (path.length === 3 && !object.resources.has(path[2]!)) throw new CoapFailure('4.04', `no resource ${formatPath(path)}`);
  const source = ctx.tree.source(object.id)!;
  const instances = await ctx.tree.instances(ctx.intake.ask, path, undefined);
  const links: Link[] = [];
  if (path.length === 1) links.push({ uri: formatPath(path), attributes: { ...(object.version !== '1.0' ? { ver: object.version } : {}), ...attributesOf(ctx, path) } });
  for (const [iid, instance] of [...instances].sort((a, b) => a[0] - b[0])) {
    if (path.length >= 2 && iid !== path[1]) continue;
    if (path.length <= 2) links.push({ uri: `/${object.id}/${iid}`, attributes: attributesOf(ctx, [object.id, iid]) });
    for (const model of object.resources.values()) {
      if (path.length === 3 && model.id !== path[2]) continue;
      const binding = source.bindings.get(model.id);
      if (!binding || binding.present?.(instance) === false) continue;
      const value = can(model, 'R') ? binding.read?.(instance) : undefined;
      const present = value !== undefined || (can(model, 'E') && binding.execute) || (can(model, 'W') && binding.write);
      if (!present) continue;
      const rpath = [object.id, iid, model.id];
      const dim: Link['attributes'] = model.multiple ? { dim: Array.isArray(value) ? value.length : value === undefined ? 0 : 1 } : {};
      links.push({ uri: formatPath(rpath), attributes: { ...dim, ...attributesOf(ctx, rpath) } });
    }
  }
  if (path.length === 3 && links.length === 0) throw new CoapFailure('4.04', `${formatPath(path)} is not present`);
  return respond('2.05', encodeLinks(links), LINK_FORMAT);
}
