// One operation through the inbox, as every front sends it: the reply's result, or its error thrown as SmaError.
// Work the operation defers until its answer is out (the agent stopping itself) runs once the response is sent.
import { SmaError } from '../errors.js';
import type { Intake } from '../inbox/command.js';
import { LOCAL_OPERATOR } from '../policy/principal.js';
import type { RequestContext } from './router.js';

export type IntakeCall = (ctx: RequestContext, op: string, body: unknown) => Promise<unknown>;

export function intakeCaller(intake: Intake): IntakeCall {
  return async (ctx, op, body) => {
    // No users configured (loopback only): the caller is the gateway's own operator, as on the broker.
    const ticket = await intake.accept({ op, body, origin: 'http', principal: ctx.principal ?? LOCAL_OPERATOR });
    const reply = await ticket.done;
    ctx.res.once('finish', () => ticket.afterSent());
    if (!reply.ok) throw new SmaError(reply.error.code, reply.error.message);
    return reply.result;
  };
}
