// R/request/{op}: decode, find the correlation, hand the command to the inbox, publish the reply.
import type { Logger } from 'pino';
import type { Command, Intake, Reply } from '../inbox/command.js';
import { codecFor, jsonCodec, type Codec } from './codec.js';
import { MAX_PAYLOAD_BYTES } from './limits.js';
import { isPlainObject } from '../model.js';
import { LogThrottle } from '../log-throttle.js';
import type { Topics } from './topics.js';
import type { InboundMessage, MqttTransport } from './transport.js';

/** Where a reply goes when the request carried no usable correlation (e.g. its JSON did not parse). */
export const UNCORRELATED = 'unknown';

interface Correlation {
  correlationId?: string;
  replyTo?: string;
  correlationData?: Buffer;
}

export class RequestHandler {
  private readonly refusals: LogThrottle;

  constructor(
    private readonly intake: Intake,
    private readonly transport: MqttTransport,
    private readonly topics: Topics,
    private readonly log: Logger,
    now: () => number,
  ) {
    this.refusals = new LogThrottle(log, now);
  }

  /** Resolves once the command is accepted (journaled): the caller's PUBACK waits for it. */
  async handle(op: string, message: InboundMessage): Promise<void> {
    const correlation: Correlation = {
      replyTo: message.responseTopic,
      correlationData: message.correlationData,
      correlationId: message.correlationData ? correlationText(message.correlationData) : undefined,
    };
    const codec = codecFor(message.contentType);
    if (!codec) return this.refuse(correlation, jsonCodec, `unsupported content type ${message.contentType}`);
    if (message.payload.length > MAX_PAYLOAD_BYTES) {
      return this.refuse(correlation, codec, `payload of ${message.payload.length} bytes is over the 64 KiB limit`);
    }
    let body: unknown;
    try {
      body = codec.decode(message.payload);
    } catch {
      return this.refuse(correlation, codec, 'payload does not decode');
    }
    if (isPlainObject(body)) {
      if (typeof body.correlationId === 'string' && !correlation.correlationId) correlation.correlationId = body.correlationId.slice(0, 256);
      if (typeof body.replyTo === 'string' && !correlation.replyTo && validReplyTopic(body.replyTo)) correlation.replyTo = body.replyTo;
    }
    const ticket = await this.intake.accept({
      op,
      body,
      origin: 'mqtt',
      correlationId: correlation.correlationId,
      replyTo: correlation.replyTo,
      correlationData: correlation.correlationData?.toString('base64'),
      contentType: message.contentType,
    });
    void ticket.done.then(async (reply) => {
      await this.send(correlation, codec, reply);
      ticket.afterSent();
    });
  }

  /** Publishes a reply for a command recovered from the journal after a restart, as the request asked. */
  sendRecovered(command: Command, reply: Reply): Promise<void> {
    const correlationData = command.correlationData ? Buffer.from(command.correlationData, 'base64') : undefined;
    return this.send({ correlationId: command.correlationId, replyTo: command.replyTo, correlationData }, codecFor(command.contentType) ?? jsonCodec, reply);
  }

  private async refuse(correlation: Correlation, codec: Codec, message: string): Promise<void> {
    this.refusals.warn({ reason: message }, 'mqtt request refused');
    await this.send(correlation, codec, { ok: false, error: { code: 'INVALID_REQUEST', message } });
  }

  private async send(correlation: Correlation, codec: Codec, reply: Reply): Promise<void> {
    const topic = correlation.replyTo ?? this.topics.response(correlation.correlationId ?? UNCORRELATED);
    const body = { correlationId: correlation.correlationId ?? null, ...reply };
    try {
      await this.transport.publish(topic, codec.encode(body), {
        qos: 1,
        contentType: codec.contentType,
        correlationData: correlation.correlationData,
      });
    } catch (err) {
      this.log.warn({ err, topic }, 'reply not published');
    }
  }
}


function correlationText(data: Buffer): string {
  const text = data.toString('utf8');
  // Binary correlation data stays unambiguous as hex.
  return Buffer.from(text, 'utf8').equals(data) ? text.slice(0, 256) : data.toString('hex').slice(0, 256);
}

function validReplyTopic(topic: string): boolean {
  return topic.length > 0 && topic.length <= 1024 && !/[+#\u0000]/.test(topic);
}
