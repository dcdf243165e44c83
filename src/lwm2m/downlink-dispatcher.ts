// Hands each server request to its handler by method and path shape; errors become CoAP codes here.
import type { Logger } from 'pino';
import { LINK_FORMAT } from './content/link-format.js';
import { coapCodeOf } from './coap-codes.js';
import { handleCreate, handleDelete, handleExecute } from './handlers/execute-create-delete.js';
import type { HandlerContext } from './handlers/handler-context.js';
import { handleDiscover, handleNotificationBlock, handleObserve, handleRead } from './handlers/read-handlers.js';
import { handleWrite, handleWriteAttributes } from './handlers/write-handlers.js';
import { SECURITY_OBJECT } from './objects/account-sources.js';
import { CoapFailure } from './objects/coap-failure.js';
import type { DownlinkReceiver } from './transport/coap-endpoint.js';
import { respond, type DownlinkRequest, type DownlinkResponse } from './transport/downlink.js';
import type { ObserveChannel } from './transport/observe-channel.js';

export class DownlinkDispatcher implements DownlinkReceiver {
  constructor(
    private readonly ctx: HandlerContext,
    private readonly log: Logger,
  ) {}

  /** Only requests from the registered server get here (transport/source-gate.ts). */
  async receive(req: DownlinkRequest, channel?: ObserveChannel): Promise<DownlinkResponse> {
    try {
      return await this.route(req, channel);
    } catch (err) {
      const code = coapCodeOf(err);
      if (code === '5.00') this.log.error({ err, method: req.method, path: req.path }, 'LwM2M request failed');
      else this.log.debug({ code, method: req.method, path: req.path, why: (err as Error).message }, 'LwM2M request refused');
      return respond(code, (err as Error).message);
    }
  }

  private route(req: DownlinkRequest, channel?: ObserveChannel): Promise<DownlinkResponse> {
    const ctx = this.ctx;
    // TS Core E.1: the Security object holds keys and belongs to the bootstrap interface only.
    if (req.path[0] === SECURITY_OBJECT) throw new CoapFailure('4.01', 'the Security object is not accessible to an LwM2M Server');
    const depth = req.path.length;
    switch (req.method) {
      case 'GET':
        if (req.accept === LINK_FORMAT) return handleDiscover(ctx, req);
        if (req.block2) return handleNotificationBlock(ctx, req);
        if (req.observe === 0 && channel) return handleObserve(ctx, req, channel);
        return handleRead(ctx, req);
      case 'PUT':
        if (req.contentFormat === undefined && req.payload.length === 0) return handleWriteAttributes(ctx, req);
        return handleWrite(ctx, req, 'replace');
      case 'POST':
        if (depth === 1) return handleCreate(ctx, req);
        if (depth === 2) return handleWrite(ctx, req, 'update');
        if (depth === 3) return handleExecute(ctx, req);
        throw new CoapFailure('4.05', 'POST takes an object, instance or resource path');
      case 'DELETE':
        return handleDelete(ctx, req);
      default:
        throw new CoapFailure('4.05', `${req.method} is not supported`);
    }
  }
}
