// Block2 (RFC 7959) as pure functions, plus the one case the coap package gets wrong for LwM2M: the
// follow-up requests of a notification larger than one block. Wakaama-class servers send them with the
// Observe option repeated (and sometimes the token reused); the coap package then treats each one as a new
// Observe and, for a token it has a body cached under, writes the whole body into one datagram
// ("Max packet size is 1152"). Such a request is taken out of the coap package's Block2 path here and
// answered by the endpoint with the block asked for, Observe included.
import type { Server } from 'coap';

type CoapServer = InstanceType<typeof Server>;
type CoapPacket = Parameters<CoapServer['_handle']>[0];

export interface BlockRequest {
  num: number;
  size: number;
}

export function parseBlockOption(value: Buffer): BlockRequest & { more: boolean } {
  const raw = value.length === 0 ? 0 : value.readUIntBE(0, Math.min(3, value.length));
  return { num: raw >>> 4, more: (raw & 8) !== 0, size: 1 << ((raw & 7) + 4) };
}

export function blockOption(num: number, more: boolean, size: number): Buffer {
  const raw = (num << 4) | (more ? 8 : 0) | (Math.log2(size) - 4);
  if (raw === 0) return Buffer.alloc(0);
  const out = Buffer.alloc(3);
  out.writeUIntBE(raw, 0, 3);
  let i = 0;
  while (out[i] === 0) i++;
  return out.subarray(i);
}

/** Block `num` of `payload` at `size` bytes, or undefined when the body has no such block (4.02). */
export function sliceBlock(payload: Buffer, block: BlockRequest): { chunk: Buffer; more: boolean } | undefined {
  const start = block.num * block.size;
  if (start >= payload.length && !(start === 0 && payload.length === 0)) return undefined;
  return { chunk: payload.subarray(start, start + block.size), more: start + block.size < payload.length };
}

const followUps = new WeakMap<object, BlockRequest>();

/** The block a notification follow-up asks for (set by `takeNotificationFollowUps`). */
export function followUpBlockOf(packet: object): BlockRequest | undefined {
  return followUps.get(packet);
}

/** Observe 0 with Block2 NUM > 0: a follow-up, answered by the endpoint rather than the coap package. */
export function takeNotificationFollowUps(server: CoapServer, maxSize: number): void {
  const handle = server._handle.bind(server);
  server._handle = (packet: CoapPacket, rsinfo) => {
    const options = packet.options ?? [];
    const block = options.find((o) => o.name === 'Block2')?.value;
    const observe = options.find((o) => o.name === 'Observe')?.value;
    // Observe 0 (register) is an empty or all-zero value.
    if (Buffer.isBuffer(block) && Buffer.isBuffer(observe) && observe.every((b) => b === 0)) {
      const b = parseBlockOption(block);
      if (b.num > 0) {
        followUps.set(packet, { num: b.num, size: Math.min(b.size, maxSize) });
        packet.options = options.filter((o) => o.name !== 'Block2');
      }
    }
    handle(packet, rsinfo);
  };
}
