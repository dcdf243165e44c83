// Tells a watch event caused by this agent from one caused by another client, by etcd revision.
// A watch event may arrive before the write's own response: such events wait until no write is in flight.
export class OwnWrites {
  private inFlight = 0;
  private readonly mine = new Set<number>();
  private waiting: number[] = [];

  constructor(private readonly onForeign: () => void) {}

  /** Runs a write; `revisionOf` gives the revision it created, or undefined when it changed nothing. */
  async track<T>(write: Promise<T>, revisionOf: (result: T) => string | undefined): Promise<T> {
    this.inFlight++;
    try {
      const result = await write;
      const revision = revisionOf(result);
      if (revision !== undefined) this.mine.add(Number(revision));
      return result;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.flush();
    }
  }

  /** A watch event at `revision` on a key that matters. */
  seen(revision: string): void {
    const rev = Number(revision);
    if (this.inFlight > 0 && !this.mine.has(rev)) this.waiting.push(rev);
    else this.judge(rev);
  }

  private flush(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const rev of waiting) this.judge(rev);
  }

  private judge(rev: number): void {
    if (!this.mine.has(rev)) this.onForeign();
    // Events come in revision order: own revisions older than every event still to judge match nothing.
    const floor = Math.min(rev, ...this.waiting);
    for (const own of this.mine) if (own < floor) this.mine.delete(own);
  }
}
