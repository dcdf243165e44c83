// The command journal at start: opened under its byte budget, what a crash left read back, its compaction running.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { IDEMPOTENCY_WINDOW_MS } from './inbox.js';
import { Journal } from './journal.js';
import { JournalBudget } from './journal-budget.js';
import { JournalCompaction } from './journal-compaction.js';

export async function openJournal(o: { store: Store; limits: Config['operations']; clock: Clock; log: Logger }) {
  const budget = new JournalBudget({ maxBytes: o.limits.journalMaxBytes, principalShare: o.limits.journalPrincipalShare });
  const journal = new Journal(o.store, budget);
  await journal.open();
  // Before any front takes a command: what a crash cut short is answered INTERRUPTED, never run again;
  // what was still waiting in a queue runs now, ahead of anything new.
  const recovered = await journal.recover(o.clock.now());
  const compaction = new JournalCompaction(journal, o.clock, { keepMs: IDEMPOTENCY_WINDOW_MS, everyMs: 3_600_000 }, o.log);
  await compaction.start();
  return { journal, recovered, compaction };
}
