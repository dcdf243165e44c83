// The one door for commands: validate, journal, dedupe by correlationId, one command per service, time-out.
import type { Logger } from 'pino';
import { asSmaError, SmaError } from '../errors.js';
import { isPlainObject } from '../model.js';
import type { Ports } from '../operations/ports.js';
import { batchNames } from '../operations/services.js';
import { describeIssues, envelopeKeys, isOperationName, requestSchemas, type OperationName } from '../operations/schemas.js';
import { operations, readOnly } from '../operations/table.js';
import type { Command, Intake, Reply, Ticket } from './command.js';
import { correlationKey, interruptedReply, type Journal } from './journal.js';
import type { AuthorizationPolicy } from '../policy/authorization.js';
import type { Principal } from '../policy/principal.js';
import { KeyedLock } from './keyed-lock.js';
import { LogThrottle } from '../log-throttle.js';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface InboxOptions {
  timeoutMs: number;
  /** Decides on principal + operation + body before anything is journaled or run. */
  policy: AuthorizationPolicy;
  /** When set, mutating commands are refused (e.g. the store cannot be written). */
  refuseWrites?: () => string | undefined;
}

const failure = (err: unknown): Reply => ({ ok: false, error: asSmaError(err).toJSON() });
const noop = (): void => {};

export class Inbox implements Intake {
  private readonly lock = new KeyedLock();
  /** Commands by correlation key (principal and correlationId) from the moment they arrive until they are answered. */
  private readonly running = new Map<string, Promise<Reply>>();
  private readonly inFlight = new Set<Promise<Reply>>();
  private stopping = false;
  private readonly refusals: LogThrottle;

  constructor(
    private readonly ports: Ports,
    private readonly journal: Journal,
    private readonly options: InboxOptions,
    private readonly log: Logger,
  ) {
    this.refusals = LogThrottle.of(log, ports.clock);
  }

  async accept(command: Command): Promise<Ticket> {
    if (this.stopping) return settled(failure(new SmaError('UNAVAILABLE', 'the agent is stopping')));
    const parsed = this.parse(command);
    if (parsed instanceof SmaError) {
      this.refusals.warn({ op: command.op.slice(0, 64), origin: command.origin, err: parsed.message.slice(0, 512) }, 'request refused');
      return settled(failure(parsed));
    }
    const { op, body } = parsed;
    const refusal = this.options.policy.commandRefusal(command.principal, op, body);
    if (refusal) {
      this.refusals.warn({ op, origin: command.origin, role: command.principal.role, username: command.principal.username.slice(0, 128), reason: refusal }, 'request forbidden');
      return settled(failure(new SmaError('FORBIDDEN', refusal)));
    }
    const caller = command.principal;
    if (readOnly.has(op)) return this.track(this.run(op, body, caller));
    const cid = correlationKey(command);
    if (!cid) return this.journaled({ ...command, body }, op, body);

    const inFlight = this.running.get(cid);
    if (inFlight) return { done: inFlight, afterSent: noop };
    // Reserved before the first await: a duplicate arriving meanwhile (a QoS 1 resend) joins this one.
    let answer!: (reply: Reply) => void;
    const reserved = new Promise<Reply>((resolve) => (answer = resolve));
    this.running.set(cid, reserved);
    let ticket: Ticket;
    try {
      ticket = await this.once({ ...command, body }, op, body);
    } catch (err) {
      ticket = settled(failure(storeTrouble(err)));
    }
    void ticket.done.then((reply) => {
      answer(reply);
      this.running.delete(cid);
    });
    return ticket;
  }

  /**
   * Stops taking commands and waits (at most `maxWaitMs`) for those in flight. Any still running stay
   * unfinished in the journal and are answered INTERRUPTED at the next start. Returns how many that is.
   */
  async drain(maxWaitMs: number): Promise<number> {
    this.stopping = true;
    if (this.inFlight.size === 0) return 0;
    let cancel = noop;
    const timedOut = new Promise<void>((resolve) => (cancel = this.ports.clock.setTimeout(resolve, maxWaitMs)));
    await Promise.race([Promise.allSettled([...this.inFlight]), timedOut]);
    cancel();
    return this.inFlight.size;
  }

  private async once(command: Command, op: OperationName, body: unknown): Promise<Ticket> {
    const now = this.ports.clock.now();
    const seen = await this.journal.findByCorrelation(command, now, command.idempotencyWindowMs ?? IDEMPOTENCY_WINDOW_MS);
    if (seen?.entry.reply) return settled(seen.entry.reply);
    if (seen) {
      // Accepted by an earlier run of the agent and never finished (the start-up pass missed it): interrupted.
      await this.journal.finish(seen.key, interruptedReply, now).catch((err) => this.log.error({ err }, 'journal finish failed'));
      return settled(interruptedReply);
    }
    return this.journaled(command, op, body);
  }

  private async journaled(command: Command, op: OperationName, body: unknown): Promise<Ticket> {
    const caller = command.principal;
    const refusal = this.options.refuseWrites?.();
    if (refusal) return settled(failure(new SmaError('UNAVAILABLE', refusal)));
    let key: string;
    try {
      key = await this.journal.append(command, this.ports.clock.now());
    } catch (err) {
      this.log.error({ err }, 'journal write failed');
      const reason = err instanceof SmaError ? err.message : `store not writable: ${(err as Error).message}`;
      return settled(failure(new SmaError('UNAVAILABLE', `cannot journal the command: ${reason}`)));
    }
    return this.track(
      this.run(op, body, caller, async (reply) => {
        await this.journal.finish(key, reply, this.ports.clock.now()).catch((err) => this.log.error({ err }, 'journal finish failed'));
      }),
    );
  }

  private track(ticket: Ticket): Ticket {
    this.inFlight.add(ticket.done);
    void ticket.done.finally(() => this.inFlight.delete(ticket.done));
    return ticket;
  }

  private parse(command: Command): { op: OperationName; body: unknown } | SmaError {
    if (!isOperationName(command.op)) return new SmaError('INVALID_REQUEST', `unknown operation ${JSON.stringify(command.op)}`);
    const raw = command.body ?? {};
    if (!isPlainObject(raw)) return new SmaError('INVALID_REQUEST', 'request body must be a JSON object');
    const stripped: Record<string, unknown> = { ...raw };
    for (const k of envelopeKeys) delete stripped[k];
    const result = requestSchemas[command.op].safeParse(stripped);
    if (!result.success) return new SmaError('INVALID_REQUEST', describeIssues(result.error));
    return { op: command.op, body: result.data };
  }

  private run(op: OperationName, body: unknown, caller: Principal, record?: (reply: Reply) => Promise<void>): Ticket {
    let deferred: (() => Promise<void>) | undefined;
    const done = (async (): Promise<Reply> => {
      const release = await this.lock.acquire(await this.lockKeys(op, body));
      const work = (async (): Promise<Reply> => {
        try {
          // The table is keyed by name; the body was validated against that name's schema.
          const outcome = await (operations[op] as (p: Ports, r: unknown, c: Principal) => ReturnType<(typeof operations)[typeof op]>)(this.ports, body, caller);
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

/** A store that cannot be read is a passing condition for the caller, not an internal fault. */
function storeTrouble(err: unknown): SmaError {
  return err instanceof SmaError ? err : new SmaError('UNAVAILABLE', `the store cannot be read: ${(err as Error).message}`);
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
