// A server-to-client request as the handlers see it, free of the coap package's types.
import type { Lwm2mPath } from '../content/node.js';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'FETCH' | 'IPATCH' | 'PATCH';

export interface DownlinkRequest {
  method: Method;
  path: Lwm2mPath;
  /** Uri-Query options as name/value pairs; a name without `=` has value undefined. */
  query: Array<[string, string | undefined]>;
  /** Accept option as a content-format number (-1 when the name is unknown). */
  accept?: number;
  contentFormat?: number;
  payload: Buffer;
  /** Observe option: 0 registers, 1 cancels. */
  observe?: number;
  /** A follow-up of a notification larger than one block: the block asked for (Observe repeated). */
  block2?: { num: number; size: number };
  /** CoAP message id: with the token, what a retransmission repeats. */
  messageId: number;
  /** Token as hex; identifies an observation. */
  token: string;
  source: { address: string; port: number };
  /** POST /bs, Bootstrap-Finish: the one non-numeric path a client serves (path is then []). */
  bootstrapFinish?: boolean;
}

export interface DownlinkResponse {
  code: string;
  format?: number;
  payload?: Buffer;
  locationPath?: string[];
  /** Observe sequence number to send (a block of a notification belongs to its observation). */
  observe?: number;
  /** Runs once the response is sent. */
  afterSent?: () => void;
}

/** A Uri-Query option as its name/value pair (a name without `=` has value undefined). */
export function queryPair(option: string): [string, string | undefined] {
  const eq = option.indexOf('=');
  return eq < 0 ? [option, undefined] : [option.slice(0, eq), option.slice(eq + 1)];
}

export const respond = (code: string, payload?: Buffer | string, format?: number): DownlinkResponse => ({
  code,
  payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload,
  format,
});
