// Runs what a Write, Execute, Create or Delete binding asked for and turns the reply into a CoAP response.
import type { BatchItem } from '../../model.js';
import { coapCodeOfError } from '../coap-codes.js';
import type { Effect } from '../objects/object-source.js';
import { respond, type DownlinkResponse } from '../transport/downlink.js';
import type { HandlerContext } from './handler-context.js';

const BATCH_OPS = new Set(['services.start', 'services.stop', 'services.restart']);

function itemCode(item: BatchItem): string {
  if (item.result === 'OK') return '2.04';
  if (item.result === 'NOT_FOUND') return '4.04';
  return coapCodeOfError(item.result === 'TIMEOUT' ? 'TIMEOUT' : (item.error?.code ?? 'INTERNAL'));
}

/**
 * Runs one effect; `success` is the code on success (2.04 Changed, 2.01 Created, 2.02 Deleted). `key` is the
 * request's idempotency key (command-key.ts): a retransmission gets the journaled answer.
 */
export async function runEffect(
  ctx: HandlerContext,
  key: string,
  effect: Effect,
  success: string,
  onResult?: (result: unknown) => Partial<DownlinkResponse>,
): Promise<DownlinkResponse> {
  if ('local' in effect) {
    await effect.local();
    return respond(success);
  }
  if ('afterSent' in effect) return { ...respond(success), afterSent: effect.afterSent };
  const { reply, afterSent } = await ctx.intake.run(effect.op, effect.body, key);
  if (!reply.ok) {
    effect.onFailure?.();
    afterSent();
    return respond(coapCodeOfError(reply.error.code), reply.error.message);
  }
  if (BATCH_OPS.has(effect.op) && Array.isArray(reply.result)) {
    const items = reply.result as BatchItem[];
    const verb = effect.op.slice('services.'.length);
    for (const item of items) ctx.recordResult(item.name, `${verb} ${item.result}${item.error ? `: ${item.error.message}` : ''}`);
    const failed = items.filter((i) => i.result !== 'OK');
    if (failed.length > 0) {
      const code = failed.length === items.length && items.length === 1 ? itemCode(failed[0]!) : '5.00';
      return { ...respond(code, failed.map((i) => `${i.name}: ${i.result}${i.error ? ` ${i.error.message}` : ''}`).join('; ')), afterSent };
    }
  }
  return { ...respond(success), ...onResult?.(reply.result), afterSent };
}
