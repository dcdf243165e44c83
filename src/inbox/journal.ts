// The command journal: every mutating command is written before it is acknowledged, and its reply with it.
// Entry and correlation index go in one atomic, synced batch, so a crash leaves both or neither.
import { atomicWrite, type Section, type SectionOp, type Store } from '../store/store.js';
import type { Command, Reply } from './command.js';
import { principalKey } from '../policy/principal.js';
import type { JournalBudget } from './journal-budget.js';
import { journaledCommand } from './journaled-body.js';

export interface JournalEntry {
  command: Command;
  acceptedAt: number;
  /** Written (synced) just before the operation runs: a crash after this cannot know how far it got. */
  startedAt?: number;
  reply?: Reply;
  finishedAt?: number;
  /** When the broker took the answer: a redelivered request (DUP) is then not answered again. */
  sentAt?: number;
}

const ENTRIES = 'journal';
const BY_CORRELATION = 'journal-by-correlation';

/** What a command's index key is made of. */
type CommandKeyParts = Pick<Command, 'principal' | 'correlationId'> & Partial<Pick<Command, 'idempotencyKey' | 'origin'>>;

/**
 * The index key of a command's correlationId: scoped to its principal, so an id another principal
 * reuses finds nothing of the first one's (an id holds no '/', a username neither).
 */
export function correlationKey(command: CommandKeyParts): string | undefined {
  // A front's own idempotency key (LwM2M) is kept apart from correlationIds by NUL, which no valid one holds.
  const id = command.correlationId || (command.idempotencyKey ? `\u0000${command.origin}\u0000${command.idempotencyKey}` : undefined);
  if (!id) return undefined;
  // Entries journaled before principals existed carry none: they stay reachable by the bare id.
  return command.principal ? `${principalKey(command.principal)}/${id}` : id;
}

/** Whose share of the journal's bytes a command counts against. */
const ownerOf = (command: Command): string => (command.principal ? principalKey(command.principal) : '');

/** What an entry takes on disk, near enough: its JSON (the store's encoding). */
const sizeOf = (entry: JournalEntry): number => Buffer.byteLength(JSON.stringify(entry));

/** Keys sort by acceptance order: a zero-padded sequence number. */
const seqKey = (seq: number): string => seq.toString(36).padStart(11, '0');

export const interruptedReply: Reply = {
  ok: false,
  error: { code: 'INTERRUPTED', message: 'the agent stopped before the command finished' },
};

export class Journal {
  private readonly entries: Section<JournalEntry>;
  private readonly byCorrelation: Section<string>;
  private seq = 0;
  /** Replies whose write failed (the disk gave out mid-command): served from here, saved when writes work again. */
  private readonly unsaved = new Map<string, { reply: Reply; at: number }>();

  constructor(
    private readonly store: Store,
    /** Bounds the journal in bytes; without one, it is bounded by age only. */
    private readonly budget?: JournalBudget,
  ) {
    this.entries = store.section<JournalEntry>(ENTRIES);
    this.byCorrelation = store.section<string>(BY_CORRELATION);
  }

  async open(): Promise<void> {
    for await (const [key, entry] of this.entries.entries()) {
      this.seq = Math.max(this.seq, parseInt(key, 36));
      this.account(key, entry);
    }
  }

  /** Why a new command cannot be journaled now (its principal's share or the whole journal is full), if so. */
  refusal(command: Command, at: number): string | undefined {
    return this.budget?.refusal(ownerOf(command), sizeOf({ command, acceptedAt: at }));
  }

  private account(key: string, entry: JournalEntry): void {
    this.budget?.account(key, ownerOf(entry.command), sizeOf(entry) + key.length);
  }

  /** The next key in acceptance order, taken when a command arrives (before its write is awaited). */
  nextKey(): string {
    return seqKey(++this.seq);
  }

  async append(command: Command, at: number, key = this.nextKey()): Promise<string> {
    const entry: JournalEntry = { command: journaledCommand(command), acceptedAt: at };
    const ops: SectionOp[] = [{ section: ENTRIES, type: 'put', key, value: entry }];
    const dedupe = correlationKey(command);
    if (dedupe) ops.push({ section: BY_CORRELATION, type: 'put', key: dedupe, value: key });
    await atomicWrite(this.store, ops, { sync: true });
    this.account(key, entry);
    await this.saveUnsaved();
    return key;
  }

  /** Marks the entry started, synced: after a crash it is answered INTERRUPTED, never run again. */
  async markStarted(key: string, at: number): Promise<void> {
    const entry = await this.entries.get(key);
    if (!entry) return;
    const started = { ...entry, startedAt: at };
    await atomicWrite(this.store, [{ section: ENTRIES, type: 'put', key, value: started }], { sync: true });
    this.account(key, started);
  }

  /** Stores the reply; synced, because the reply goes out only after this and must never differ after a crash. */
  async finish(key: string, reply: Reply, at: number): Promise<void> {
    try {
      const entry = await this.entries.get(key);
      if (!entry) return;
      const finished = { ...entry, reply, finishedAt: at };
      await atomicWrite(this.store, [{ section: ENTRIES, type: 'put', key, value: finished }], { sync: true });
      this.account(key, finished);
      this.unsaved.delete(key);
    } catch (err) {
      this.unsaved.set(key, { reply, at });
      throw err;
    }
  }

  /**
   * Notes that the answer reached the broker. Not synced: lost in a crash, it only costs a second, identical
   * answer to a redelivered request (at least once, as before).
   */
  async markSent(key: string, at: number): Promise<void> {
    const entry = await this.entries.get(key);
    if (!entry?.reply || entry.sentAt !== undefined) return;
    const sent = { ...entry, sentAt: at };
    await atomicWrite(this.store, [{ section: ENTRIES, type: 'put', key, value: sent }]);
    this.account(key, sent);
  }

  private async saveUnsaved(): Promise<void> {
    for (const [key, { reply, at }] of [...this.unsaved]) await this.finish(key, reply, at).catch(() => undefined);
  }

  /** The entry this principal's correlationId (or a front's own idempotency key) was accepted under, if younger than `maxAgeMs`. */
  async findByCorrelation(
    owner: CommandKeyParts,
    now: number,
    maxAgeMs: number,
  ): Promise<{ key: string; entry: JournalEntry } | undefined> {
    const indexKey = correlationKey(owner);
    const key = indexKey && (await this.byCorrelation.get(indexKey));
    if (!key) return undefined;
    const stored = await this.entries.get(key);
    if (!stored || now - stored.acceptedAt > maxAgeMs) return undefined;
    const pending = this.unsaved.get(key);
    const entry = !stored.reply && pending ? { ...stored, reply: pending.reply, finishedAt: pending.at } : stored;
    return { key, entry };
  }

  /** Entries accepted but never finished: what a crash interrupted. */
  async *unfinished(): AsyncIterable<[string, JournalEntry]> {
    for await (const [key, entry] of this.entries.entries()) if (!entry.reply) yield [key, entry];
  }

  /**
   * At start-up, before any front takes commands, what a crash left unfinished, in acceptance order: an entry
   * that had started is answered INTERRUPTED (we cannot know how far an executor got); one still waiting in
   * its service's queue is handed back to be run, keeping its place.
   */
  async recover(at: number): Promise<{ interrupted: Array<[string, JournalEntry]>; queued: Array<[string, JournalEntry]> }> {
    const interrupted: Array<[string, JournalEntry]> = [];
    const queued: Array<[string, JournalEntry]> = [];
    for await (const [key, entry] of this.unfinished()) {
      if (entry.startedAt === undefined) {
        queued.push([key, entry]);
        continue;
      }
      await this.finish(key, interruptedReply, at);
      interrupted.push([key, { ...entry, reply: interruptedReply, finishedAt: at }]);
    }
    return { interrupted, queued };
  }

  /**
   * Every unfinished entry is answered INTERRUPTED (we cannot
   * know how far an executor got, so nothing is run again). Returns them so fronts can send the answer.
   */
  async interruptUnfinished(at: number): Promise<JournalEntry[]> {
    const done: JournalEntry[] = [];
    for await (const [key, entry] of this.unfinished()) {
      await this.finish(key, interruptedReply, at);
      done.push({ ...entry, reply: interruptedReply, finishedAt: at });
    }
    return done;
  }

  /** Drops finished entries accepted more than `maxAgeMs` ago, with their correlation index. */
  async compact(now: number, maxAgeMs: number, chunk = 500): Promise<number> {
    let dropped = 0;
    let ops: SectionOp[] = [];
    let freed: string[] = [];
    const flush = async (): Promise<void> => {
      if (ops.length) await atomicWrite(this.store, ops);
      for (const key of freed) this.budget?.release(key);
      ops = [];
      freed = [];
    };
    for await (const [key, entry] of this.entries.entries()) {
      if (!entry.reply || now - entry.acceptedAt <= maxAgeMs) continue;
      ops.push({ section: ENTRIES, type: 'del', key });
      freed.push(key);
      const indexKey = correlationKey(entry.command);
      // The id may have been used again later (after the window): keep the index of the newer entry.
      if (indexKey && (await this.byCorrelation.get(indexKey)) === key) ops.push({ section: BY_CORRELATION, type: 'del', key: indexKey });
      dropped++;
      if (ops.length >= chunk) await flush();
    }
    await flush();
    return dropped;
  }
}
