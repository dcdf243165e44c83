// The LwM2M front's only door into the agent: commands through the intake, replies back as values.
import { SmaError } from '../errors.js';
import { LWM2M_SERVER } from '../policy/principal.js';
import type { Intake, Reply } from '../inbox/command.js';
import type { OperationName } from '../operations/schemas.js';
import type { Ask } from './objects/object-source.js';

export interface Outcome {
  reply: Reply;
  /** Call once the CoAP response is sent (runs work the operation deferred). */
  afterSent(): void;
}

export class IntakeClient {
  constructor(
    private readonly intake: Intake,
    /** How long a server request's key is remembered: EXCHANGE_LIFETIME, within which a server never reuses a message id. */
    private readonly idempotencyWindowMs: number,
  ) {}

  /** `key` (commands only): the server request's idempotency key (command-key.ts). */
  async run(op: OperationName, body: Record<string, unknown>, key?: string): Promise<Outcome> {
    const idempotency = key === undefined ? {} : { idempotencyKey: key, idempotencyWindowMs: this.idempotencyWindowMs };
    const ticket = await this.intake.accept({ op, body, origin: 'lwm2m', principal: LWM2M_SERVER, ...idempotency });
    const reply = await ticket.done;
    return { reply, afterSent: () => ticket.afterSent() };
  }

  /** Read-only operations: the result, or the reply's error thrown as an SmaError. */
  readonly ask: Ask = async (op, body) => {
    const { reply, afterSent } = await this.run(op, body);
    afterSent();
    if (!reply.ok) throw new SmaError(reply.error.code, reply.error.message);
    return reply.result;
  };
}
