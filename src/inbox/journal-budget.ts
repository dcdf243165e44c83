// How many bytes of journal each principal holds. The journal keeps answers for a day so re-sends get the
// same one; bounded by age alone, valid 64 KiB commands could fill an SD card within that day. So it is
// bounded in bytes too, in all and per principal, so that one chatty or hostile client cannot use up what
// the others (an operator above all) need.

export interface JournalLimits {
  /** All entries together, as stored (JSON). */
  maxBytes: number;
  /** The part of `maxBytes` one principal may hold, 0 < share <= 1. */
  principalShare: number;
}

export class JournalBudget {
  private total = 0;
  private readonly byOwner = new Map<string, number>();
  /** Each entry's owner and size, so that a rewrite or a removal gives back exactly what it took. */
  private readonly entries = new Map<string, { owner: string; bytes: number }>();

  constructor(private readonly limits: JournalLimits) {}

  /** Records (or re-records, after a rewrite) the size of entry `key`. */
  account(key: string, owner: string, bytes: number): void {
    this.release(key);
    this.entries.set(key, { owner, bytes });
    this.total += bytes;
    this.byOwner.set(owner, (this.byOwner.get(owner) ?? 0) + bytes);
  }

  release(key: string): void {
    const held = this.entries.get(key);
    if (!held) return;
    this.entries.delete(key);
    this.total -= held.bytes;
    const left = (this.byOwner.get(held.owner) ?? 0) - held.bytes;
    if (left > 0) this.byOwner.set(held.owner, left);
    else this.byOwner.delete(held.owner);
  }

  /** Why a new entry of `bytes` for `owner` does not fit, or undefined when it does. */
  refusal(owner: string, bytes: number): string | undefined {
    const { maxBytes, principalShare } = this.limits;
    if (this.total + bytes > maxBytes) {
      return `the command journal is full (${this.total} of ${maxBytes} bytes); answers are kept for the idempotency window, so retry later`;
    }
    const share = Math.floor(maxBytes * principalShare);
    const mine = this.byOwner.get(owner) ?? 0;
    if (mine + bytes > share) {
      return `this principal's share of the command journal is used up (${mine} of ${share} bytes); retry later`;
    }
    return undefined;
  }

  usage(): { totalBytes: number; owners: number } {
    return { totalBytes: this.total, owners: this.byOwner.size };
  }
}
