// The one door for commands: validate, journal, dedupe by correlationId, one command per service, time-out.
import type { Logger } from 'pino';
import { asSmaError, SmaError } from '../errors.js';
import type { Ports } from '../operations/ports.js';
import { batchNames } from '../operations/services.js';
import { describeIssues, envelopeKeys, isOperationName, requestSchemas, type OperationName } from '../operations/schemas.js';
import { operations, readOnly } from '../operations/table.js';
import type { Command, Intake, Reply, Ticket } from './command.js';
import type { Journal } from './journal.js';
import { KeyedLock } from './keyed-lock.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface InboxOptions {
  timeoutMs: number;
  /** When set, mutating commands are refused (e.g. the store cannot be written). */
  refuseWrites?: () => string | undefined;
}

const failure = (err: unknown): Reply => ({ ok: false, error: asSmaError(err).toJSON() });
const noop = (): void => {};

export class Inbox implements Intake {
  private readonly lock = new KeyedLock();
  private readonly running = new Map<string, Promise<Reply>>();

  constructor(
    private readonly ports: Ports,
    private readonly journal: Journal,
    private readonly options: InboxOptions,
    private readonly log: Logger,
  ) {}

  async accept(command: Command): Promise<Ticket> {
    const parsed = this.parse(command);
    if (parsed instanceof SmaError) {
      this.log.warn({ op: command.op, origin: command.origin, err: parsed.message }, 'request refused');
      return settled(failure(parsed));
    }
    const { op, body } = parsed;
    if (readOnly.has(op)) return this.run(op, body);

    const refusal = this.options.refuseWrites?.();
    if (refusal) return settled(failure(new SmaError('UNAVAILABLE', refusal)));

    const cid = command.correlationId;
    if (cid) {
      const inFlight = this.running.get(cid);
      if (inFlight) return { done: inFlight, afterSent: noop };
      const seen = await this.journal.findByCorrelation(cid, this.ports.clock.now(), IDEMPOTENCY_WINDOW_MS);
      if (seen?.entry.reply) return settled(seen.entry.reply);
    }
    let key: string;
    try {
      key = await this.journal.append({ ...command, body }, this.ports.clock.now());
    } catch (err) {
      this.log.error({ err }, 'journal write failed');
      return settled(failure(new SmaError('UNAVAILABLE', 'cannot journal the command: store not writable')));
    }
    const ticket = this.run(op, body, async (reply) => {
      await this.journal.finish(key, reply, this.ports.clock.now()).catch((err) => this.log.error({ err }, 'journal finish failed'));
    });
    if (cid) {
      this.running.set(cid, ticket.done);
      void ticket.done.finally(() => this.running.delete(cid));
    }
    return ticket;
  }

  private parse(command: Command): { op: OperationName; body: unknown } | SmaError {
    if (!isOperationName(command.op)) return new SmaError('INVALID_REQUEST', `unknown operation ${JSON.stringify(command.op)}`);
    const raw = command.body ?? {};
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return new SmaError('INVALID_REQUEST', 'request body must be a JSON object');
    const stripped: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    for (const k of envelopeKeys) delete stripped[k];
    const result = requestSchemas[command.op].safeParse(stripped);
    if (!result.success) return new SmaError('INVALID_REQUEST', describeIssues(result.error));
    return { op: command.op, body: result.data };
  }

  private run(op: OperationName, body: unknown, record?: (reply: Reply) => Promise<void>): Ticket {
    let deferred: (() => Promise<void>) | undefined;
    const done = (async (): Promise<Reply> => {
      const release = await this.lock.acquire(await this.lockKeys(op, body));
      const work = (async (): Promise<Reply> => {
        try {
          // The table is keyed by name; the body was validated against that name's schema.
          const outcome = await (operations[op] as (p: Ports, r: unknown) => ReturnType<(typeof operations)[typeof op]>)(this.ports, body);
          deferred = outcome.afterReply;
          return { ok: true, result: outcome.result };
        } catch (err) {
          const e = asSmaError(err);
          if (e.code === 'INTERNAL') this.log.error({ err, op }, 'operation failed');
          return failure(e);
        }
      })();
      void work.finally(release);
      const reply = await withTimeout(work, this.options.timeoutMs, this.ports, op);
      if (record) await record(reply);
      return reply;
    })();
    return {
      done,
      afterSent: () => {
        const d = deferred;
        deferred = undefined;
        if (d) void d().catch((err) => this.log.error({ err }, 'deferred action failed'));
      },
    };
  }

  private async lockKeys(op: OperationName, body: unknown): Promise<string[]> {
    if (readOnly.has(op)) return [];
    const b = body as { name?: string; names?: string[]; all?: true };
    if (b.name) return [b.name];
    if (b.names) return b.names;
    if (b.all) return batchNames(this.ports, { all: true });
    return [];
  }
}

function settled(reply: Reply): Ticket {
  return { done: Promise.resolve(reply), afterSent: noop };
}

function withTimeout(work: Promise<Reply>, ms: number, ports: Ports, op: string): Promise<Reply> {
  return new Promise((resolve) => {
    const cancel = ports.clock.setTimeout(
      () => resolve(failure(new SmaError('TIMEOUT', `${op} did not finish within ${ms} ms`))),
      ms,
    );
    void work.then((reply) => {
      cancel();
      resolve(reply);
    });
  });
}
