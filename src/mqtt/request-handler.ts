// R/request/{op}: decode, find the correlation, hand the command to the inbox, publish the reply.
import type { Logger } from 'pino';
import type { Command, Intake, Reply } from '../inbox/command.js';
import { codecFor, jsonCodec, type Codec } from './codec.js';
import { MAX_PAYLOAD_BYTES } from './limits.js';
import { isPlainObject } from '../model.js';
import { LogThrottle } from '../log-throttle.js';
import type { ReplyRouting } from '../policy/reply-routing.js';
import { LOCAL_OPERATOR } from '../policy/principal.js';
import { isCorrelationId, MAX_CORRELATION_ID } from './topic-rules.js';
import type { InboundMessage, MqttTransport } from './transport.js';

export { UNCORRELATED } from '../policy/reply-routing.js';

interface Correlation {
  correlationId?: string;
  /** Where the reply goes: as the policy routed it. */
  replyTo: string;
  correlationData?: Buffer;
}

export class RequestHandler {
  private readonly refusals: LogThrottle;

  constructor(
    private readonly intake: Intake,
    private readonly transport: MqttTransport,
    private readonly routing: ReplyRouting,
    private readonly log: Logger,
    now: () => number,
  ) {
    this.refusals = new LogThrottle(log, now);
  }

  /**
   * Resolves once the command is accepted (journaled) or refused: the caller's PUBACK waits for that and
   * for nothing else. Replies go out afterwards, never awaited here.
   */
  async handle(op: string, message: InboundMessage): Promise<void> {
    const principal = message.principal;
    // A message that speaks for nobody (the agent's own publish, reflected) is never a command.
    if (!principal) return this.refusals.warn({ op: op.slice(0, 64) }, 'mqtt request from no known client ignored');
    const fromData = message.correlationData ? correlationText(message.correlationData) : undefined;
    const dataProblem = fromData !== undefined && !isCorrelationId(fromData) ? `correlation data must read as ${CORRELATION_RULE} (binary data as hex)` : undefined;
    const correlationId = dataProblem ? undefined : fromData;
    const early = (): Correlation => ({
      correlationId,
      correlationData: message.correlationData,
      replyTo: this.routing.route(principal, message.responseTopic, correlationId).topic,
    });
    const codec = codecFor(message.contentType);
    if (!codec) return this.refuse(early(), jsonCodec, `unsupported content type ${JSON.stringify(String(message.contentType).slice(0, 64))}`);
    if (dataProblem) return this.refuse(early(), codec, dataProblem);
    if (message.payload.length > MAX_PAYLOAD_BYTES) {
      return this.refuse(early(), codec, `payload of ${message.payload.length} bytes is over the 64 KiB limit`);
    }
    let body: unknown;
    try {
      body = codec.decode(message.payload);
    } catch {
      return this.refuse(early(), codec, 'payload does not decode');
    }
    let cid = correlationId;
    let requested = message.responseTopic;
    const fields = isPlainObject(body) ? body : {};
    if (!message.correlationData && fields.correlationId !== undefined) {
      // Item 8: a bad correlationId is refused, never cut or coerced into something that runs.
      if (!isCorrelationId(fields.correlationId)) return this.refuse(early(), codec, `correlationId must be ${CORRELATION_RULE}`);
      cid = fields.correlationId;
    }
    if (typeof fields.replyTo === 'string' && requested === undefined) requested = fields.replyTo;
    const route = this.routing.route(principal, requested, cid);
    const correlation: Correlation = { correlationId: cid, correlationData: message.correlationData, replyTo: route.topic };
    if (route.refusal) return this.refuse(correlation, codec, route.refusal, 'FORBIDDEN');
    // An MQTT 5 requester may rely on its response topic alone; anyone else's answer would be anonymous.
    if (!cid && message.responseTopic === undefined) {
      return this.refuse(correlation, codec, `a request needs a correlationId (${CORRELATION_RULE}), MQTT 5 correlation data or a response topic`);
    }
    const ticket = await this.intake.accept({
      op,
      body,
      origin: 'mqtt',
      principal,
      correlationId: correlation.correlationId,
      replyTo: correlation.replyTo,
      correlationData: correlation.correlationData?.toString('base64'),
      contentType: message.contentType,
    });
    if (message.dup && ticket.answeredElsewhere) {
      // Redelivered because the PUBACK was lost (a crash): its answer is, or will be, published once already.
      this.log.debug({ op, correlationId: cid }, 'redelivered request: answered once already');
      return ticket.afterSent(false);
    }
    void ticket.done.then(async (reply) => ticket.afterSent(await this.send(correlation, codec, reply)));
  }

  /** Publishes a reply for a command recovered from the journal after a restart, as the request asked. */
  sendRecovered(command: Command, reply: Reply): Promise<boolean> {
    const correlationData = command.correlationData ? Buffer.from(command.correlationData, 'base64') : undefined;
    // The journal keeps the routed topic; entries from before principals existed were an operator's.
    const replyTo = command.replyTo ?? this.routing.responseTopic(command.principal ?? LOCAL_OPERATOR, command.correlationId);
    return this.send({ correlationId: command.correlationId, replyTo, correlationData }, codecFor(command.contentType) ?? jsonCodec, reply);
  }

  private refuse(correlation: Correlation, codec: Codec, message: string, code: 'INVALID_REQUEST' | 'FORBIDDEN' = 'INVALID_REQUEST'): void {
    this.refusals.warn({ reason: message, code }, 'mqtt request refused');
    // Not awaited: mqtt.js reads no packet (our reply's PUBACK included) until this message is taken.
    void this.send(correlation, codec, { ok: false, error: { code, message } });
  }

  /** True once the broker has the reply. */
  private async send(correlation: Correlation, codec: Codec, reply: Reply): Promise<boolean> {
    const topic = correlation.replyTo;
    const body = { correlationId: correlation.correlationId ?? null, ...reply };
    try {
      await this.transport.publish(topic, codec.encode(body), {
        qos: 1,
        contentType: codec.contentType,
        correlationData: correlation.correlationData,
      });
      return true;
    } catch (err) {
      this.log.warn({ err, topic }, 'reply not published');
      return false;
    }
  }
}


const CORRELATION_RULE = `a non-empty string of at most ${MAX_CORRELATION_ID} characters without /, +, # or NUL`;

function correlationText(data: Buffer): string {
  const text = data.toString('utf8');
  // Binary correlation data stays unambiguous as hex.
  return Buffer.from(text, 'utf8').equals(data) ? text : data.toString('hex');
}
