// The rules engine (CONTRACT section 15): every sample moves each matching rule's state; a state that changed
// is written to the store before its event goes out and before its action runs, so that an agent restarted
// at any point keeps PENDING, FIRING and the action budget (a FIRING rule stays FIRING with no second event).
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AlertEvent } from '../events.js';
import type { AlertQuery, AlertView, MetricName } from '../operations/watch-ports.js';
import { budgetAllows, inactive, step, thresholdOf, type RuleState } from './rule-state.js';
import type { MetricValues } from './history.js';
import type { Rule } from './watch-config.js';

/** Where rule states outlive the agent: `{rule}/{service}` -> state. */
export interface RuleMemory {
  recall(): Promise<Map<string, StoredRuleState>>;
  /** One batch; `undefined` forgets the key. */
  keep(entries: Array<[string, StoredRuleState | undefined]>): Promise<void>;
}

export interface StoredRuleState extends RuleState {
  /** When the engine last saw a sample for it (written at a stop): a PENDING older than the grace is dropped. */
  seenAt?: number;
}

export interface RuleEngineOptions {
  rules: readonly Rule[];
  clock: Clock;
  memory: RuleMemory;
  /** restart or stop of a service, through the inbox as principal `rules`. */
  act(action: 'restart' | 'stop', name: string): Promise<void>;
  emit(event: AlertEvent): void;
  /** A PENDING the agent has not seen for longer than this (it was down) starts again from its next sample. */
  pendingGraceMs: number;
  log: Logger;
}

const keyOf = (rule: string, name: string): string => `${rule}/${name}`;

export class RuleEngine implements AlertQuery {
  private readonly states = new Map<string, RuleState & { rule: Rule; name: string }>();
  private readonly byName = new Map<string, Rule>();

  constructor(private readonly o: RuleEngineOptions) {
    for (const rule of o.rules) this.byName.set(rule.name, rule);
  }

  /** Takes back the states of the last run; states of rules no longer configured are forgotten. */
  async start(): Promise<void> {
    const now = this.o.clock.now();
    const stale: Array<[string, undefined]> = [];
    for (const [key, stored] of await this.o.memory.recall()) {
      const slash = key.indexOf('/');
      const rule = this.byName.get(key.slice(0, slash));
      if (!rule) {
        stale.push([key, undefined]);
        continue;
      }
      const { seenAt, ...state } = stored;
      if (state.state === 'PENDING' && (seenAt === undefined || now - seenAt > this.o.pendingGraceMs)) Object.assign(state, { state: 'INACTIVE', since: undefined });
      this.states.set(key, { ...state, rule, name: key.slice(slash + 1) });
    }
    if (stale.length) await this.o.memory.keep(stale);
    const firing = [...this.states.values()].filter((s) => s.state === 'FIRING').length;
    if (this.states.size) this.o.log.info({ states: this.states.size, firing }, 'rule states recalled');
  }

  /** Every rule over the services it names, for one round of samples: `samples` maps a service to its values. */
  async observe(samples: ReadonlyMap<string, MetricValues>, t: number): Promise<void> {
    const changed: Array<[string, StoredRuleState]> = [];
    const events: AlertEvent[] = [];
    const actions: Array<['restart' | 'stop', string]> = [];
    for (const [name, values] of samples) {
      for (const rule of this.o.rules) {
        if (rule.service !== '*' && rule.service !== name) continue;
        const v = values[rule.metric as MetricName];
        if (v === undefined) continue;
        const key = keyOf(rule.name, name);
        let s = this.states.get(key);
        if (!s) this.states.set(key, (s = { ...inactive(), rule, name }));
        const steps = step(rule, s, v, t);
        if (steps.length === 0) continue;
        const event = (type: AlertEvent['type'], action?: string): AlertEvent => ({ kind: 'alert', type, rule: rule.name, name, metric: rule.metric, value: v, threshold: thresholdOf(rule), ...(action ? { action } : {}), at: t });
        for (const st of steps) {
          events.push(event(st.type));
          if (st.type !== 'FIRING' || !st.act) continue;
          s.acted = true;
          if (!budgetAllows(rule, s, t)) {
            events.push(event('GAVE_UP', rule.action));
            this.o.log.warn({ rule: rule.name, service: name, maxActions: rule.maxActions, windowMs: rule.actionWindowMs }, 'rule gave up: its action budget is spent');
            continue;
          }
          s.actions.push(t);
          events.push(event('ACTION', rule.action));
          if (rule.action !== 'alert') actions.push([rule.action, name]);
        }
        const { rule: _r, name: _n, ...state } = s;
        changed.push([key, { ...state, seenAt: t }]);
      }
    }
    if (changed.length === 0) return;
    // Kept first: a crash after this line replays nothing and loses nothing; one before it never happened.
    await this.o.memory.keep(changed);
    for (const e of events) {
      this.o.log.info({ rule: e.rule, service: e.name, type: e.type, value: e.value }, 'rule state');
      this.o.emit(e);
    }
    // Not awaited: a restart takes up to the stop grace, and the next round must not wait for it (the inbox
    // runs one command per service at a time, so a second action queues behind the first).
    for (const [action, name] of actions) {
      void this.o.act(action, name).catch((err: unknown) => this.o.log.warn({ service: name, action, err: String(err) }, 'rule action failed'));
    }
  }

  /** At a stop: when each state was last seen, so that a restart can tell a fresh PENDING from a stale one. */
  async close(): Promise<void> {
    const now = this.o.clock.now();
    const all: Array<[string, StoredRuleState]> = [];
    for (const [key, { rule: _r, name: _n, ...state }] of this.states) if (state.state !== 'INACTIVE' || state.actions.length) all.push([key, { ...state, seenAt: now }]);
    if (all.length) await this.o.memory.keep(all);
  }

  list(): AlertView[] {
    const now = this.o.clock.now();
    const out: AlertView[] = [];
    const seen = new Set<string>();
    for (const [key, s] of this.states) {
      seen.add(key);
      out.push(this.view(s.rule, s.name, s, now));
    }
    // A rule for one named service is listed even before its first sample.
    for (const rule of this.o.rules) {
      if (rule.service !== '*' && !seen.has(keyOf(rule.name, rule.service))) out.push(this.view(rule, rule.service, inactive(), now));
    }
    return out.sort((a, b) => (a.rule === b.rule ? a.name.localeCompare(b.name) : a.rule.localeCompare(b.rule)));
  }

  /** For Prometheus: each rule and service, 1 while FIRING. */
  firing(): Array<{ rule: string; service: string; firing: boolean }> {
    return this.list().map((a) => ({ rule: a.rule, service: a.name, firing: a.state === 'FIRING' }));
  }

  private view(rule: Rule, name: string, s: RuleState, now: number): AlertView {
    const actions = s.actions.filter((at) => at > now - rule.actionWindowMs).length;
    return {
      rule: rule.name,
      name,
      state: s.state,
      ...(s.since !== undefined && s.state !== 'INACTIVE' ? { since: new Date(s.since).toISOString() } : {}),
      ...(s.value !== undefined ? { value: s.value } : {}),
      actions,
    };
  }
}
