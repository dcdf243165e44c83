// A plain Read, answered in one datagram without the coap package's request and response streams. A
// confirmable GET with no Observe, no Block options and no ETag is most of what an LwM2M server sends, and
// the coap package's Server costs it more than our whole handler (bench/lwm2m-wire.js, BENCHMARKS.md).
// A retransmission gets the very datagram it got before (RFC 7252 4.5 de-duplication), from a bounded map
// of answers kept for EXCHANGE_LIFETIME. Anything else, and any answer larger than one block, takes the
// package's path.
import type { ParsedPacket } from 'coap-packet';
import type { Server } from 'coap';
import type { Logger } from 'pino';
import { requireCommonJs } from '../../commonjs.js';
import { ExpiringMap } from '../../expiring-map.js';
import { formatNumber } from '../content/content-formats.js';
import { parsePath } from '../content/node.js';
import { queryPair, type DownlinkRequest, type DownlinkResponse } from './downlink.js';

const { generate } = requireCommonJs('coap-packet') as typeof import('coap-packet');

type CoapServer = InstanceType<typeof Server>;
type CoapPacket = Parameters<CoapServer['_handle']>[0];
type Rsinfo = Parameters<CoapServer['_handle']>[1];

export interface PlainReadOptions {
  receive(req: DownlinkRequest): Promise<DownlinkResponse>;
  send(datagram: Buffer, port: number, address: string): void;
  /** Largest payload one datagram carries; a larger answer goes block-wise through the coap package. */
  blockSize: number;
  /** False once the endpoint is closing: nothing is sent then. */
  open(): boolean;
  /** Answers kept for retransmissions: how many, and for how long (EXCHANGE_LIFETIME). */
  keep: { entries: number; ms: number };
  now(): number;
  log: Logger;
}

/** Options that make a GET more than a plain Read (the coap package handles those). */
const NOT_PLAIN = new Set(['Observe', 'Block1', 'Block2', 'ETag', 'Size1', 'Size2', 'If-Match', 'If-None-Match', 'Proxy-Uri', 'Proxy-Scheme']);

const uint = (n: number): Buffer => {
  if (n === 0) return Buffer.alloc(0);
  return n < 256 ? Buffer.of(n) : Buffer.of(n >> 8, n & 0xff);
};

/** The request as the handlers see it, or undefined when the packet is not a plain Read. */
export function plainRead(packet: ParsedPacket, source: { address: string; port: number }): DownlinkRequest | undefined {
  if (packet.code !== '0.01' || !packet.confirmable || packet.ack || packet.reset) return undefined;
  const segments: string[] = [];
  const query: Array<[string, string | undefined]> = [];
  let accept: number | undefined;
  for (const o of packet.options ?? []) {
    // An option the codec could not name (a number) is left to the coap package's rules.
    if (typeof o.name !== 'string' || NOT_PLAIN.has(o.name)) return undefined;
    if (o.name === 'Uri-Path') segments.push(o.value.toString('utf8'));
    else if (o.name === 'Uri-Query') query.push(queryPair(o.value.toString('utf8')));
    else if (o.name === 'Accept') accept = formatNumber(o.value);
  }
  const path = parsePath(segments.join('/'));
  if (!path || segments.some((s) => s === '' || s.includes('/'))) return undefined;
  return {
    method: 'GET',
    path,
    query,
    accept,
    payload: Buffer.alloc(0),
    messageId: packet.messageId,
    token: packet.token.toString('hex'),
    source,
  };
}

/** Installs the fast path; call just before the source gate, so that only the server's reads reach it. */
export function answerPlainReads(server: CoapServer, o: PlainReadOptions): void {
  const handle = server._handle.bind(server);
  // Sent answers by peer and message id, and the requests being answered (a copy arriving meanwhile is
  // dropped: its sender sends it again).
  const answers = new ExpiringMap<string, Buffer>(o.keep.entries, o.now);
  const pending = new Set<string>();
  server._handle = (packet: CoapPacket, rsinfo: Rsinfo) => {
    const req = plainRead(packet as unknown as ParsedPacket, { address: rsinfo.address, port: rsinfo.port });
    if (!req) return handle(packet, rsinfo);
    const key = `${rsinfo.address}:${rsinfo.port}:${req.messageId}`;
    const again = answers.get(key);
    if (again) return o.send(again, rsinfo.port, rsinfo.address);
    if (pending.has(key)) return;
    pending.add(key);
    o.receive(req)
      .then(
        (res) => {
          if (!o.open()) return;
          const payload = res.payload ?? Buffer.alloc(0);
          // Block-wise, a notification or a side effect: the coap package's path answers it (read again).
          if (payload.length > o.blockSize || res.observe !== undefined || res.locationPath || res.afterSent) return handle(packet, rsinfo);
          const options = res.format === undefined ? [] : [{ name: 'Content-Format' as const, value: uint(res.format) }];
          const datagram = generate({ messageId: req.messageId, token: (packet as unknown as ParsedPacket).token, ack: true, code: res.code, options, payload });
          answers.set(key, datagram, o.keep.ms);
          o.send(datagram, rsinfo.port, rsinfo.address);
        },
        (err: unknown) => {
          o.log.error({ err }, 'plain read failed');
          handle(packet, rsinfo);
        },
      )
      .finally(() => pending.delete(key));
  };
}
