// The idempotency key of a server request that changes something (Execute, Write, Create, Delete): a
// retransmission carries the same message id and token, so it finds the journaled answer even after the
// coap de-duplication cache lost it or the agent restarted (issue 11). The request's digest guards against
// a server that reuses a message id (after 65 536 of them) with an empty token.
import { createHash } from 'node:crypto';
import { formatPath } from './content/node.js';
import type { DownlinkRequest } from './transport/downlink.js';

/** `part` tells apart the several commands one request runs (a Write of several resources). */
export function commandKeyOf(req: DownlinkRequest, part?: string | number): string {
  const digest = createHash('sha256').update(`${req.method} ${formatPath(req.path)} ${req.contentFormat ?? ''}\n`).update(req.payload).digest('base64url').slice(0, 22);
  return `${req.source.address}:${req.source.port}|${req.messageId}|${req.token}|${digest}${part === undefined ? '' : `|${part}`}`;
}
