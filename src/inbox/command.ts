// A command as every front hands it to the inbox, and the reply it gets back.
import type { ErrorCode } from '../errors.js';
import type { Principal } from '../policy/principal.js';

export type Origin = 'mqtt' | 'lwm2m' | 'cli' | 'http';

export interface Command {
  op: string;
  body: unknown;
  correlationId?: string;
  /**
   * A front's own deduplication key when it is not the correlationId (LwM2M: server and token/MID). It must
   * hold at least two `/` (e.g. `lwm2m/{server}/{token}`): a correlation key (`{principal}/{correlationId}`,
   * neither part with a `/`) holds one, so the two never collide.
   */
  idempotencyKey?: string;
  origin: Origin;
  /** Who sent it, as the front authenticated them: the policy decides on it; stored answers belong to it. */
  principal: Principal;
  /** Where the front will publish the reply; kept in the journal so a recovered answer can be sent. */
  replyTo?: string;
  /** MQTT 5 correlation data (base64) and content type, so a recovered answer reaches its requester the same way. */
  correlationData?: string;
  contentType?: string;
}

export type Reply = { ok: true; result: unknown } | { ok: false; error: { code: ErrorCode; message: string } };

export interface Ticket {
  /** Settles with the reply; never rejects. */
  readonly done: Promise<Reply>;
  /** The front calls this once the reply is on the wire; runs work deferred until then. */
  afterSent(): void;
}

export interface Intake {
  /** Validates and journals the command; resolves once it is durably accepted (or refused). */
  accept(command: Command): Promise<Ticket>;
}
