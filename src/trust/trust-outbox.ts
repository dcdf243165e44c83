// The trust events the agent still owes the broker (CONTRACT section 8, DESIGN "outbox"). Each flush's level
// decisions become outbox records in the same synced batch as the levels themselves, so a crash cannot keep
// one without the other. A record stays until the broker has acknowledged every event in it; after a restart
// what is left is published again with the same CloudEvent ids (at least once: consumers deduplicate by id).
//
// Event ids are a per-data-directory prefix plus a sequence number, so a record stores no id strings:
// a record of n decisions is (first sequence number, device indexes, reason codes, times) as typed arrays.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BatchOp, Section } from '../store/store.js';
import type { DecisionQueue } from './decision-queue.js';

export const OUTBOX_PREFIX = 'ob/';
/** Rows per record: keeps one value near 1 MB even in a million-device sweep. */
const ROWS_PER_RECORD = 65_536;
/** Twelve hex digits of sequence number (48 bits) end every id. */
const SEQ_DIGITS = 12;

export interface OutboxState {
  /** The id prefix of this data directory (a UUIDv8 without its last group). */
  prefix: string;
  nextSeq: number;
}

interface OutboxRecord {
  first: number;
  index: string;
  code: string;
  at: string;
}

/** Decisions written to the store and not yet acknowledged by the broker. */
export class PendingRecord {
  left: number;
  sentAt = 0;
  readonly acked: Uint8Array;

  constructor(
    readonly first: number,
    readonly index: Int32Array,
    readonly code: Uint8Array,
    readonly at: Float64Array,
  ) {
    this.left = index.length;
    this.acked = new Uint8Array(index.length);
  }

  get key(): string {
    return recordKey(this.first);
  }
}

type Typed = Int32Array | Uint8Array | Float64Array;
type TypedCtor<T extends Typed> = { new (length: number): T; readonly BYTES_PER_ELEMENT: number };

const recordKey = (first: number): string => `${OUTBOX_PREFIX}${first.toString().padStart(16, '0')}`;
const b64 = (a: Typed): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

function decode<T extends Typed>(value: unknown, Ctor: TypedCtor<T>): T | undefined {
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  const out = new Ctor(Math.floor(bytes.length / Ctor.BYTES_PER_ELEMENT));
  // Copied, not viewed: a decoded Buffer may sit at an offset a Float64Array cannot start at.
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.byteLength));
  return out;
}

/** A fresh id prefix: 16 random bytes shaped as an RFC 9562 version-8 UUID whose last group is the sequence number. */
export function newPrefix(): string {
  const h = randomBytes(16).toString('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-`;
}

export class TrustOutbox {
  prefix = newPrefix();
  nextSeq = 1;
  /** Pending records by first sequence number, in order. */
  private readonly records: PendingRecord[] = [];
  private deletes: string[] = [];
  private removal?: Promise<void>;

  constructor(
    private readonly section: Section<unknown>,
    private readonly log: Logger,
  ) {}

  get state(): OutboxState {
    return { prefix: this.prefix, nextSeq: this.nextSeq };
  }

  /** Adopts the saved prefix and sequence (from the checkpoint's meta record) and reads the records left. */
  async load(saved: OutboxState | undefined): Promise<number> {
    if (saved && typeof saved.prefix === 'string' && Number.isSafeInteger(saved.nextSeq)) {
      this.prefix = saved.prefix;
      this.nextSeq = saved.nextSeq;
    }
    let rows = 0;
    for await (const [, value] of this.section.entries({ gte: OUTBOX_PREFIX, lt: 'ob0' })) {
      const r = value as Partial<OutboxRecord>;
      const index = decode(r.index, Int32Array);
      const code = decode(r.code, Uint8Array);
      const at = decode(r.at, Float64Array);
      if (typeof r.first !== 'number' || !index || !code || !at || code.length !== index.length || at.length !== index.length) continue;
      this.records.push(new PendingRecord(r.first, index, code, at));
      rows += index.length;
      // A record from before the sequence was saved (cannot happen: same batch) must not be reused.
      if (r.first + index.length > this.nextSeq) this.nextSeq = r.first + index.length;
    }
    return rows;
  }

  /**
   * Numbers the decisions (their event ids are fixed from here on) and gives the records to write with them.
   * The records count as pending once `commit` is called after the write.
   */
  stage(decided: DecisionQueue): { first: number; records: PendingRecord[]; ops: BatchOp<unknown>[] } {
    const first = this.nextSeq;
    this.nextSeq += decided.length;
    const records: PendingRecord[] = [];
    const ops: BatchOp<unknown>[] = [];
    for (let k = 0; k < decided.length; k += ROWS_PER_RECORD) {
      const n = Math.min(ROWS_PER_RECORD, decided.length - k);
      const rows = decided.rows(k, n);
      const record = new PendingRecord(first + k, rows.index, rows.code, rows.at);
      records.push(record);
      const value: OutboxRecord = { first: record.first, index: b64(record.index), code: b64(record.code), at: b64(record.at) };
      ops.push({ type: 'put', key: record.key, value });
    }
    return { first, records, ops };
  }

  commit(records: readonly PendingRecord[], sentAt: number): void {
    for (const r of records) {
      r.sentAt = sentAt;
      this.records.push(r);
    }
  }

  idOf(seq: number): string {
    return this.prefix + seq.toString(16).padStart(SEQ_DIGITS, '0');
  }

  /** The broker took the event with this id: its record goes once all of the record's events are taken. */
  acknowledge(id: string): void {
    if (!id.startsWith(this.prefix) || id.length !== this.prefix.length + SEQ_DIGITS) return;
    const seq = parseInt(id.slice(this.prefix.length), 16);
    const k = this.find(seq);
    if (k < 0) return;
    const r = this.records[k];
    const row = seq - r.first;
    if (r.acked[row] === 1) return;
    r.acked[row] = 1;
    if (--r.left > 0) return;
    this.records.splice(k, 1);
    this.deletes.push(r.key);
    this.scheduleDeletes();
  }

  /** Records with events not acknowledged, sent before `olderThan` (all of them with Infinity). */
  unacknowledged(olderThan: number): PendingRecord[] {
    return this.records.filter((r) => r.left > 0 && r.sentAt < olderThan);
  }

  get pendingEvents(): number {
    let n = 0;
    for (const r of this.records) n += r.left;
    return n;
  }

  private find(seq: number): number {
    let lo = 0;
    let hi = this.records.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.records[mid];
      if (seq < r.first) hi = mid - 1;
      else if (seq >= r.first + r.index.length) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Resolves once the removals of acknowledged records asked for so far are written. */
  settled(): Promise<void> {
    return this.removal ?? Promise.resolve();
  }

  /** Removals are not synced: a removal lost in a power cut only means the events go out again, same ids. */
  private scheduleDeletes(): void {
    this.removal ??= new Promise((resolve) => setImmediate(resolve))
      .then(async () => {
        while (this.deletes.length > 0) {
          const keys = this.deletes;
          this.deletes = [];
          await this.section
            .batch(keys.map((key) => ({ type: 'del' as const, key })))
            .catch((err: unknown) => this.log.debug({ err }, 'outbox records not removed; their events go out again after a restart'));
        }
      })
      .finally(() => {
        this.removal = undefined;
        if (this.deletes.length > 0) this.scheduleDeletes();
      });
  }
}
