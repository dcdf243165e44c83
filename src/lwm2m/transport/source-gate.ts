// The first step for every inbound datagram: one from a peer that is not the LwM2M server is refused
// here, before the coap package sees it, so it never reaches the de-duplication cache, the Block-wise
// caches or a handler (issue 10 item 6). In NoSec mode a source address is all there is to go by; in
// DTLS mode only the session's peer ever reaches the socket.
import type { Server } from 'coap';
import type { Logger } from 'pino';
import { requireCommonJs } from '../../commonjs.js';

const { generate } = requireCommonJs('coap-packet') as typeof import('coap-packet');

type CoapServer = InstanceType<typeof Server>;
type CoapPacket = Parameters<CoapServer['_handle']>[0];
type Rsinfo = Parameters<CoapServer['_handle']>[1];

/** Whether a datagram from this peer may be served. */
export type SourceFilter = (source: { address: string; port: number }) => boolean;

export interface SourceGateOptions {
  accepts: SourceFilter;
  /** Sends a datagram on the endpoint's socket (the refusal of a confirmable request). */
  send(datagram: Buffer, port: number, address: string): void;
  log: Logger;
  /** Refused peers remembered, so each is logged once; sources are spoofable, so this is capped. */
  remembered: number;
}

/** Installs the gate in front of the server's packet handler (call after every other `_handle` wrapper). */
export function gateSources(server: CoapServer, o: SourceGateOptions): void {
  const refused = new Set<string>();
  const handle = server._handle.bind(server);
  server._handle = (packet: CoapPacket, rsinfo: Rsinfo) => {
    if (o.accepts(rsinfo)) return handle(packet, rsinfo);
    const peer = `${rsinfo.address}:${rsinfo.port}`;
    if (!refused.has(peer)) {
      if (refused.size >= o.remembered) refused.clear();
      refused.add(peer);
      o.log.warn({ peer }, 'request from a peer that is not the registered server refused');
    }
    // A confirmable request gets 4.01 in its ACK (not cached, nothing else kept); anything else is dropped.
    if (packet.confirmable && packet.code?.startsWith('0.')) {
      o.send(generate({ messageId: packet.messageId, token: packet.token, ack: true, code: '4.01' }), rsinfo.port, rsinfo.address);
    }
  };
}
