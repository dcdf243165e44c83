// The one door for commands: validate, journal, dedupe by correlationId, one command per service, time-out.
import type { Logger } from 'pino';
import { asSmaError, SmaError } from '../errors.js';
import { isPlainObject } from '../model.js';
import { shapeRefusal } from '../security/untrusted-shape.js';
import type { Ports } from '../operations/ports.js';
import { batchNames } from '../operations/services.js';
import { describeIssues, envelopeKeys, isOperationName, requestSchemas, type OperationName } from '../operations/schemas.js';
import { operations, readOnly } from '../operations/table.js';
import type { Command, Intake, Reply, Ticket } from './command.js';
import { correlationKey, interruptedReply, type Journal, type JournalEntry } from './journal.js';
import type { AuthorizationPolicy } from '../policy/authorization.js';
import { LOCAL_OPERATOR, type Principal } from '../policy/principal.js';
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


/** A command a crash left, with its answer (to come); `sent` once a front has sent it (or has none to send). */
export interface Recovered {
  command: Command;
  done: Promise<Reply>;
  sent(delivered: boolean): void;
}

/** A command from its arrival until its answer: a duplicate waits for `journaled`, then shares `done`. */
interface Pending {
  journaled: Promise<void>;
  done: Promise<Reply>;
}

export class Inbox implements Intake {
  private readonly lock = new KeyedLock();
  /** Mutating commands by dedupe key from the moment they arrive until they are answered. */
  private readonly running = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<Reply>>();
  /** Settles once the command admitted last has its place in its services' queues (see admit). */
  private admitted: Promise<void> = Promise.resolve();
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
    const key = correlationKey(command);
    const original = key ? this.running.get(key) : undefined;
    if (original) {
      // A QoS 1 resend of a command still on its way: acknowledged only once the original is on disk.
      await original.journaled;
      return { done: original.done, afterSent: noop, answeredElsewhere: true };
    }
    // Everything up to here is synchronous: the arrival order is the order of the journal and of the queues.
    const place = this.admit();
    const journalKey = this.journal.nextKey();
    let journaled!: () => void;
    let answer!: (reply: Reply) => void;
    const pending: Pending = { journaled: new Promise((resolve) => (journaled = resolve)), done: new Promise((resolve) => (answer = resolve)) };
    if (key) this.running.set(key, pending);
    let ticket: Ticket;
    try {
      ticket = await this.once({ ...command, body }, op, body, key, journalKey, place);
    } catch (err) {
      place.leave();
      ticket = settled(failure(storeTrouble(err)));
    } finally {
      journaled();
    }
    void ticket.done.then((reply) => {
      answer(reply);
      if (key && this.running.get(key) === pending) this.running.delete(key);
    });
    return ticket;
  }

  /**
   * What a crash left: commands answered INTERRUPTED at start, and commands waiting in their queues (journal
   * order), run now ahead of any new command. Returns each with its answer (to come), for the fronts to send;
   * `sent` must be called once that is done. Until then a redelivery of the request joins it.
   */
  resume(queued: Array<[string, JournalEntry]>, interrupted: Array<[string, JournalEntry]> = []): Recovered[] {
    const answered = interrupted.map(([journalKey, entry]) => this.recovered(journalKey, entry.command, settled(entry.reply ?? interruptedReply)));
    return [...answered, ...queued.map(([journalKey, entry]) => {
      const command = entry.command;
      const parsed = this.parse(command);
      const place = this.admit();
      if (parsed instanceof SmaError) place.leave();
      const ticket =
        parsed instanceof SmaError
          ? this.recorded(journalKey, settled(failure(parsed)))
          : // Authorized when it was accepted; entries from before principals existed were an operator's.
            this.queued(parsed.op, parsed.body, command.principal ?? LOCAL_OPERATOR, journalKey, place);
      return this.recovered(journalKey, command, ticket);
    })];
  }

  private recovered(journalKey: string, command: Command, ticket: Ticket): Recovered {
    const key = correlationKey(command);
    const pending: Pending = { journaled: Promise.resolve(), done: ticket.done };
    if (key) this.running.set(key, pending);
    const sent = (delivered: boolean): void => {
      if (key && this.running.get(key) === pending) this.running.delete(key);
      if (delivered) this.markSent(journalKey);
    };
    return { command, done: ticket.done, sent };
  }

  private markSent(journalKey: string): void {
    void this.journal.markSent(journalKey, this.ports.clock.now()).catch((err) => this.log.warn({ err }, 'journal sent mark failed'));
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

  /**
   * A place in the admission line: commands take their queue places (KeyedLock) in arrival order even though
   * their journal writes overlap. `enter` waits for the one before; `leave` must be called on every path.
   */
  private admit(): { enter: () => Promise<void>; leave: () => void } {
    const before = this.admitted;
    let leave!: () => void;
    this.admitted = new Promise<void>((resolve) => (leave = resolve));
    return { enter: () => before, leave };
  }

  /** Journals the command and queues it; or answers it from the journal, or refuses it. */
  private async once(command: Command, op: OperationName, body: unknown, key: string | undefined, journalKey: string, place: Place): Promise<Ticket> {
    const early = await this.answeredOrRefused(command, key);
    if (early) {
      place.leave();
      return early;
    }
    try {
      await this.journal.append(command, this.ports.clock.now(), journalKey);
    } catch (err) {
      place.leave();
      this.log.error({ err }, 'journal write failed');
      const reason = err instanceof SmaError ? err.message : `store not writable: ${(err as Error).message}`;
      return settled(failure(new SmaError('UNAVAILABLE', `cannot journal the command: ${reason}`)));
    }
    return this.queued(op, body, command.principal, journalKey, place);
  }

  private async answeredOrRefused(command: Command, key: string | undefined): Promise<Ticket | undefined> {
    const now = this.ports.clock.now();
    const seen = key ? await this.journal.findByCorrelation(command, now, command.idempotencyWindowMs ?? IDEMPOTENCY_WINDOW_MS) : undefined;
    if (seen?.entry.reply) return { ...settled(seen.entry.reply), answeredElsewhere: seen.entry.sentAt !== undefined };
    if (seen) {
      // Accepted by an earlier run of the agent and never finished nor resumed: interrupted.
      await this.journal.finish(seen.key, interruptedReply, now).catch((err) => this.log.error({ err }, 'journal finish failed'));
      return settled(interruptedReply);
    }
    const refusal = this.options.refuseWrites?.();
    if (refusal) return settled(failure(new SmaError('UNAVAILABLE', refusal)));
    const full = this.journal.refusal(command, now);
    if (full) {
      this.refusals.warn({ op: command.op, origin: command.origin, role: command.principal.role, username: command.principal.username.slice(0, 128), reason: full }, 'journal budget reached');
      return settled(failure(new SmaError('UNAVAILABLE', full)));
    }
    return undefined;
  }

  /** Takes the command's place in its services' queues (after those admitted before it) and runs it in turn. */
  private queued(op: OperationName, body: unknown, caller: Principal, journalKey: string, place: Place): Ticket {
    const held = (async () => {
      try {
        const keys = await this.lockKeys(op, body);
        await place.enter();
        return this.lock.acquire(keys);
      } finally {
        place.leave();
      }
    })();
    const starting = (): Promise<void> =>
      this.journal.markStarted(journalKey, this.ports.clock.now()).catch((err: unknown) => {
        throw new SmaError('UNAVAILABLE', `cannot journal the command's start, so it was not run: ${(err as Error).message}`);
      });
    return this.recorded(journalKey, this.run(op, body, caller, held, starting));
  }

  /** The reply is stored before the ticket settles (so before it is sent). */
  private recorded(journalKey: string, ticket: Ticket): Ticket {
    const done = ticket.done.then(async (reply) => {
      await this.journal.finish(journalKey, reply, this.ports.clock.now()).catch((err) => this.log.error({ err }, 'journal finish failed'));
      return reply;
    });
    const afterSent = (delivered = true): void => {
      ticket.afterSent(delivered);
      if (delivered) this.markSent(journalKey);
    };
    return this.track({ done, afterSent });
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
    // Every front's body passes here: no key of an object's machinery, no depth that later walks pay for.
    const badShape = shapeRefusal(raw);
    if (badShape) return new SmaError('INVALID_REQUEST', `request body refused: ${badShape}`);
    const stripped: Record<string, unknown> = { ...raw };
    for (const k of envelopeKeys) delete stripped[k];
    const result = requestSchemas[command.op].safeParse(stripped);
    if (!result.success) return new SmaError('INVALID_REQUEST', describeIssues(result.error));
    return { op: command.op, body: result.data };
  }

  /**
   * Runs the operation once `held` gives it its services (none for a read), after `starting` (the journal's
   * started mark) is on disk. The time-out counts from the start, not from the wait in the queue.
   */
  private run(op: OperationName, body: unknown, caller: Principal, held?: Promise<() => void>, starting?: () => Promise<void>): Ticket {
    let deferred: (() => Promise<void>) | undefined;
    const done = (async (): Promise<Reply> => {
      let release: () => void;
      try {
        release = held ? await held : noop;
      } catch (err) {
        return failure(storeTrouble(err));
      }
      const work = (async (): Promise<Reply> => {
        try {
          await starting?.();
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
      return withTimeout(work, this.options.timeoutMs, this.ports, op);
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

type Place = { enter: () => Promise<void>; leave: () => void };

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
