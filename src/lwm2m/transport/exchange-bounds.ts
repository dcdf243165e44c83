// Bounds on the exchange state the coap package's Server keeps (coap 1.5), which a peer sending many distinct
// requests (a fuzzer, a flood, a buggy server) otherwise grows until time alone ends it:
// - the de-duplication cache of responses (RFC 7252 4.5): kept EXCHANGE_LIFETIME (247 s) by design, but
//   bounded only by *encoded* bytes (32 MiB by default) while each entry also holds its retransmission sender,
//   timers and the request it answers: a few KiB each, ~60 MiB per 10 000 requests;
// - Block1 assembly and Block2 bodies (RFC 7959), one per token and peer, 247 s each, with no limit at all;
// - Block1 numbers are trusted: NUM 2^20-1 with SZX 6 makes it allocate 1 GiB for the assembled body.
// The time bounds stay (they are the spec's); count and size bounds are added here.
import type { Server } from 'coap';

type CoapServer = InstanceType<typeof Server>;
type CoapPacket = Parameters<CoapServer['_handle']>[0];
/** A cached response: the encoded datagram, tagged by the coap package with its retransmission sender. */
type CachedReply = Buffer & { sender?: { reset(): void } };
type ReplyCache = CoapServer['_lru'];

/** The options of the lru-cache constructor the coap package uses (v11), as far as used here. */
interface ReplyCacheOptions {
  max: number;
  maxSize: number;
  sizeCalculation: (reply: CachedReply) => number;
  ttl: number;
  dispose: (reply: CachedReply) => void;
}

interface BlockCacheLike {
  _cache: Map<string, unknown>;
  add(key: string, payload: never): void;
  contains(key: string): boolean;
  remove(key: string): boolean;
}

export interface ExchangeLimits {
  /** Responses kept for de-duplication: count and encoded bytes. */
  entries: number;
  bytes: number;
  /** Block-wise transfers kept at once, per direction. */
  blockTransfers: number;
  /** Largest request body a Block1 transfer may announce. */
  maxBody: number;
}

export interface Refusal {
  code: string;
  why: string;
}

/** Requests whose Block1 option was refused: the endpoint answers these with the code instead of handling them. */
const refusals = new WeakMap<object, Refusal>();

export function refusalOf(packet: object): Refusal | undefined {
  return refusals.get(packet);
}

/** Installs the bounds; call before `listen` (the response cache's prune timer is set up there). */
export function boundExchangeState(server: CoapServer, limits: ExchangeLimits): void {
  const original = server._lru;
  // Same class and lifetime as the coap package's own cache, plus a count bound. Evicting a response stops
  // its retransmissions (dispose), as the package's own eviction does.
  const Cache = original.constructor as new (o: ReplyCacheOptions) => ReplyCache;
  server._lru = new Cache({
    max: limits.entries,
    maxSize: limits.bytes,
    sizeCalculation: (reply) => Math.max(1, reply.length),
    ttl: original.ttl,
    dispose: (reply) => reply.sender?.reset(),
  });
  capBlockCache(server._block1Cache as unknown as BlockCacheLike, limits.blockTransfers);
  capBlockCache(server._block2Cache as unknown as BlockCacheLike, limits.blockTransfers);
  keyBlock1ByResource(server);

  const handle = server._handle.bind(server);
  server._handle = (packet: CoapPacket, rsinfo) => {
    const refusal = block1Refusal(packet, limits.maxBody);
    if (refusal) {
      // Handled as a plain request the endpoint refuses: the coap package never assembles it.
      packet.options = (packet.options ?? []).filter((o) => o.name !== 'Block1');
      packet.payload = Buffer.alloc(0);
      refusals.set(packet, refusal);
    }
    handle(packet, rsinfo);
  };
}

/** Oldest transfer out when a new one would pass the cap (a Map iterates in insertion order). */
function capBlockCache(cache: BlockCacheLike, max: number): void {
  const add = cache.add.bind(cache);
  cache.add = (key: string, payload: never) => {
    if (!cache.contains(key)) {
      for (const oldest of cache._cache.keys()) {
        if (cache._cache.size < max) break;
        cache.remove(oldest);
      }
    }
    add(key, payload);
  };
}

/** RFC 7959 2.2: NUM, M and SZX of a Block1 option; refused when it cannot be honoured safely. */
function block1Refusal(packet: CoapPacket, maxBody: number): Refusal | undefined {
  const value = packet.options?.find((o) => o.name === 'Block1')?.value;
  if (value === undefined) return undefined;
  if (!Buffer.isBuffer(value) || value.length < 1 || value.length > 3) return { code: '4.00', why: 'malformed Block1 option' };
  const raw = value.readUIntBE(0, value.length);
  const szx = raw & 7;
  if (szx === 7) return { code: '4.00', why: 'reserved Block1 size' };
  const size = 1 << (szx + 4);
  const payload = packet.payload?.length ?? 0;
  if (payload > size) return { code: '4.00', why: 'Block1 payload larger than its block size' };
  if ((raw >>> 4) * size + payload > maxBody) return { code: '4.13', why: 'payload too large' };
  return undefined;
}

/**
 * RFC 7959 lets the token change from block to block of one upload (libcoap 4.3 does, adding a Request-Tag,
 * RFC 9175); the coap package keys Block1 assembly by token, so such an upload never assembled (5.00 "Byte
 * offset not the next in line"). Block1 requests are keyed by peer, path and Request-Tag instead.
 */
function keyBlock1ByResource(server: CoapServer): void {
  const byToken = server._toCacheKey.bind(server);
  server._toCacheKey = (request, packet) => {
    const options = packet.options ?? [];
    if (!options.some((o) => o.name === 'Block1')) return byToken(request, packet);
    const path = options.filter((o) => o.name === 'Uri-Path').map((o) => String(o.value)).join('/');
    const tag = options.find((o) => String(o.name) === String(REQUEST_TAG))?.value;
    return `block1/${server._clientIdentifier(request)}/${path}/${Buffer.isBuffer(tag) ? tag.toString('hex') : ''}`;
  };
}

const REQUEST_TAG = 292;
