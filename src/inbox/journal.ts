// The command journal: every mutating command is written before it is acknowledged, and its reply with it.
import type { Section, Store } from '../store/store.js';
import type { Command, Reply } from './command.js';

export interface JournalEntry {
  command: Command;
  acceptedAt: number;
  reply?: Reply;
  finishedAt?: number;
}

/** Keys sort by acceptance order: a zero-padded sequence number. */
const seqKey = (seq: number): string => seq.toString(36).padStart(11, '0');

export class Journal {
  private readonly entries: Section<JournalEntry>;
  private readonly byCorrelation: Section<string>;
  private seq = 0;

  constructor(store: Store) {
    this.entries = store.section<JournalEntry>('journal');
    this.byCorrelation = store.section<string>('journal-by-correlation');
  }

  async open(): Promise<void> {
    for await (const [key] of this.entries.entries()) this.seq = Math.max(this.seq, parseInt(key, 36));
  }

  async append(command: Command, at: number): Promise<string> {
    const key = seqKey(++this.seq);
    const entry: JournalEntry = { command, acceptedAt: at };
    if (command.correlationId) {
      await this.entriesBatch(key, entry, command.correlationId);
    } else {
      await this.entries.put(key, entry);
    }
    return key;
  }

  private async entriesBatch(key: string, entry: JournalEntry, correlationId: string): Promise<void> {
    // Two sections, one atomic write would be nicer; the entry goes first so a crash between leaves no dangling index.
    await this.entries.put(key, entry);
    await this.byCorrelation.put(correlationId, key);
  }

  async finish(key: string, reply: Reply, at: number): Promise<void> {
    const entry = await this.entries.get(key);
    if (!entry) return;
    await this.entries.put(key, { ...entry, reply, finishedAt: at });
  }

  /** The entry a correlationId was accepted under, if it is younger than `maxAgeMs`. */
  async findByCorrelation(correlationId: string, now: number, maxAgeMs: number): Promise<{ key: string; entry: JournalEntry } | undefined> {
    const key = await this.byCorrelation.get(correlationId);
    if (!key) return undefined;
    const entry = await this.entries.get(key);
    if (!entry || now - entry.acceptedAt > maxAgeMs) return undefined;
    return { key, entry };
  }

  /** Entries accepted but never finished: what a crash interrupted. */
  async *unfinished(): AsyncIterable<[string, JournalEntry]> {
    for await (const [key, entry] of this.entries.entries()) if (!entry.reply) yield [key, entry];
  }

  /** Drops finished entries older than `maxAgeMs`, with their correlation index. */
  async compact(now: number, maxAgeMs: number): Promise<number> {
    let dropped = 0;
    for await (const [key, entry] of this.entries.entries()) {
      if (!entry.reply || now - entry.acceptedAt <= maxAgeMs) continue;
      await this.entries.del(key);
      if (entry.command.correlationId) await this.byCorrelation.del(entry.command.correlationId);
      dropped++;
    }
    return dropped;
  }
}
