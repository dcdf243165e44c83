// The watch, wired (CONTRACT section 15): the sample source for the executor in use, the history, the rules
// and the one sampling timer. The composition root calls `startWatch` and gets the ports the operations read.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Executor } from '../executor/executor.js';
import type { Intake } from '../inbox/command.js';
import type { BatchItem, ServiceRecord, ServiceView } from '../model.js';
import type { AlertQuery, HistoryQuery } from '../operations/watch-ports.js';
import { RULES } from '../policy/principal.js';
import type { Store } from '../store/store.js';
import { History } from './history.js';
import { RuleEngine, type StoredRuleState } from './rule-engine.js';
import { StoreRuleMemory } from './rule-memory.js';
import { ExecutorMetricsSource, ProcessGroupSource, RoutedSource } from './sample-source.js';
import { Sampler } from './sampler.js';
import type { Rule, WatchConfig } from './watch-config.js';

export interface WatchDeps {
  config: WatchConfig;
  rules: readonly Rule[];
  store: Store;
  executor: Executor;
  /** The services the registry knows (not halted): read again once a minute or when one is (de)registered. */
  records(): Promise<ServiceRecord[]>;
  /** The supervisor's view of one (in memory): status and restarts, each round. */
  view(record: ServiceRecord): ServiceView;
  intake: Intake;
  events: EventBus;
  clock: Clock;
  log: Logger;
}

export interface Watch {
  history: HistoryQuery;
  alerts: AlertQuery & { firing(): Array<{ rule: string; service: string; firing: boolean }> };
  stop(): Promise<void>;
}

const REGISTRY_EVERY_MS = 60_000;

/** Statuses in which a service has a process (or container) to sample. */
const SAMPLED = new Set(['RUNNING', 'STARTING', 'STOPPING', 'UNKNOWN']);

export async function startWatch(d: WatchDeps): Promise<Watch> {
  const { config, clock, log } = d;
  const history = new History({
    section: d.store.section<unknown>('history'),
    rawWindowMs: config.rawWindowMs,
    historyHours: config.historyHours,
    now: () => clock.now(),
    onWriteError: (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'history not written; those minutes are lost'),
  });
  const rules = new RuleEngine({
    rules: d.rules,
    clock,
    memory: new StoreRuleMemory(d.store.section<StoredRuleState>('rules')),
    act: async (action, name) => {
      const ticket = await d.intake.accept({ op: `services.${action}`, body: { names: [name] }, origin: 'rules', principal: RULES });
      const reply = await ticket.done;
      ticket.afterSent();
      if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
      // The item's own refusal (a deployment owns the service: CONFLICT) or failure is the rule's failure too.
      const [item] = reply.result as BatchItem[];
      if (item && item.result !== 'OK') throw new Error(`${item.error?.code ?? item.result}: ${item.error?.message ?? ''}`);
    },
    emit: (event) => d.events.emit(event),
    pendingGraceMs: Math.max(10 * 60_000, 3 * config.intervalMs),
    log,
  });
  await rules.start();
  // The registry is not asked every round (an external one is a network call away): its list is kept for a
  // minute, and dropped at once when a service comes, goes or changes.
  let listed: { at: number; records: Promise<ServiceRecord[]> } | undefined;
  const records = (): Promise<ServiceRecord[]> => {
    if (!listed || clock.now() - listed.at >= REGISTRY_EVERY_MS) {
      const asked = d.records().catch((err: unknown) => {
        if (listed?.records === asked) listed = undefined; // a failed read is not kept: the next round asks again
        throw err;
      });
      listed = { at: clock.now(), records: asked };
    }
    return listed.records;
  };
  const stopListening = d.events.on((e) => {
    if (e.kind === 'service' && (e.type === 'REGISTERED' || e.type === 'DEREGISTERED' || e.type === 'CONFIG')) listed = undefined;
  });
  const pidOf = (name: string): number | undefined => d.executor.pidOf?.(name);
  const source = new RoutedSource(new ProcessGroupSource(pidOf), new ExecutorMetricsSource((r) => d.executor.metrics(r)));
  const sampler = new Sampler({
    clock,
    intervalMs: config.intervalMs,
    restartsWindowMs: config.rawWindowMs,
    services: async () =>
      (await records()).map((record) => {
        const view = d.view(record);
        return { record, running: SAMPLED.has(view.status), restarts: view.restarts };
      }),
    source,
    round: async (samples, at) => {
      for (const [name, values] of samples) history.record(name, at, values);
      await rules.observe(samples, at);
      await history.flush(at);
    },
    log,
  });
  sampler.start();
  log.info({ intervalMs: config.intervalMs, rules: d.rules.length }, 'watch started');
  return {
    history,
    alerts: rules,
    async stop() {
      stopListening();
      await sampler.stop();
      await history.close(clock.now());
      await rules.close();
    },
  };
}
