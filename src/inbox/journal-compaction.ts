// Old journal entries go: at start and then on a timer, once they are past the idempotency window.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Journal } from './journal.js';

export interface JournalCompactionOptions {
  /** Entries younger than this stay (the idempotency window). */
  keepMs: number;
  everyMs: number;
}

export class JournalCompaction {
  private stopTimer?: () => void;
  private running?: Promise<void>;

  constructor(
    private readonly journal: Journal,
    private readonly clock: Clock,
    private readonly options: JournalCompactionOptions,
    private readonly log: Logger,
  ) {}

  /** Compacts once now, then every `everyMs`. */
  async start(): Promise<void> {
    await this.runOnce();
    this.stopTimer = this.clock.setInterval(() => void this.runOnce(), this.options.everyMs);
  }

  /** Compacts now; after a run already in progress, never beside it. */
  runOnce(): Promise<void> {
    const run = (this.running ?? Promise.resolve()).then(async () => {
      try {
        const dropped = await this.journal.compact(this.clock.now(), this.options.keepMs);
        if (dropped) this.log.info({ dropped }, 'journal compacted');
      } catch (err) {
        // A full disk must not stop the agent; the next run tries again.
        this.log.warn({ err: (err as Error).message }, 'journal compaction failed');
      }
    });
    this.running = run;
    void run.then(() => {
      if (this.running === run) this.running = undefined;
    });
    return run;
  }

  /** Stops the timer and waits for a run in progress, so the store can close under no writer. */
  async stop(): Promise<void> {
    this.stopTimer?.();
    await this.running;
  }
}
