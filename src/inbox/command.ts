// A command as every front hands it to the inbox, and the reply it gets back.
import type { ErrorCode } from '../errors.js';
import type { Principal } from '../policy/principal.js';

/** `rules`: the watch's rules acting on a service (CONTRACT section 15), not a front. */
export type Origin = 'mqtt' | 'lwm2m' | 'cli' | 'http' | 'sparkplug' | 'rules';

export interface Command {
  op: string;
  body: unknown;
  correlationId?: string;
  origin: Origin;
  /** Who sent it, as the front authenticated them: the policy decides on it; stored answers belong to it. */
  principal: Principal;
  /** Where the front will publish the reply; kept in the journal so a recovered answer can be sent. */
  replyTo?: string;
  /** MQTT 5 correlation data (base64) and content type, so a recovered answer reaches its requester the same way. */
  correlationData?: string;
  contentType?: string;
  /**
   * A key the front derives from its own protocol when the command has no correlationId (LwM2M: the
   * server, the message id and token, the request): a repeat within `idempotencyWindowMs` is answered from
   * the journal, never run again. Kept apart from correlationIds by the origin in the journal's `correlationKey`.
   */
  idempotencyKey?: string;
  idempotencyWindowMs?: number;
}


export type Reply = { ok: true; result: unknown } | { ok: false; error: { code: ErrorCode; message: string } };

export interface Ticket {
  /** Settles with the reply; never rejects. */
  readonly done: Promise<Reply>;
  /**
   * The front calls this once the reply is on the wire (`delivered`: the broker took it; default true);
   * runs work deferred until then.
   */
  afterSent(delivered?: boolean): void;
  /**
   * Set on a duplicate whose answer goes out anyway: it joined a command still running (whose own request
   * gets the answer), or its stored answer was published before. A broker's redelivery (DUP) of such a
   * request needs no second answer; a client's fresh re-send still gets one.
   */
  readonly answeredElsewhere?: boolean;
}

export interface Intake {
  /** Validates and journals the command; resolves once it is durably accepted (or refused). */
  accept(command: Command): Promise<Ticket>;
}
