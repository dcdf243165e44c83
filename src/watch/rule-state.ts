// One rule on one service: INACTIVE -> PENDING (condition holds) -> FIRING (held for forMs) -> RESOLVED (past
// clearAt, back to INACTIVE). Pure: a step takes a value and a time and says what changed; the engine keeps,
// stores and announces it.
import type { AlertState } from '../operations/watch-ports.js';
import type { Rule } from './watch-config.js';

export interface RuleState {
  state: AlertState;
  /** When the current state began (PENDING: when the condition began to hold). */
  since?: number;
  value?: number;
  /** Times of the actions taken, within the rule's window: the sliding budget. */
  actions: number[];
  /** This FIRING has had its one action (or its GAVE_UP): no other until it resolves. */
  acted: boolean;
}

export const inactive = (): RuleState => ({ state: 'INACTIVE', actions: [], acted: false });

export const thresholdOf = (rule: Rule): number => (rule.above ?? rule.below)!;

const holds = (rule: Rule, v: number): boolean => (rule.above !== undefined ? v > rule.above : v < rule.below!);

/** Past clearAt the other way (default clearAt: the threshold, so "no longer holds"). */
const cleared = (rule: Rule, v: number): boolean => {
  const at = rule.clearAt ?? thresholdOf(rule);
  return rule.above !== undefined ? v <= at : v >= at;
};

export type Step = { type: 'PENDING' | 'RESOLVED' } | { type: 'FIRING'; act: boolean };

/**
 * Moves `s` on one sample. Returns the transitions (at most two: PENDING and FIRING at once when forMs is 0).
 * `s.value` always follows the sample.
 */
export function step(rule: Rule, s: RuleState, v: number, t: number): Step[] {
  s.value = v;
  const out: Step[] = [];
  if (s.state === 'INACTIVE' && holds(rule, v)) {
    s.state = 'PENDING';
    s.since = t;
    out.push({ type: 'PENDING' });
  } else if (s.state === 'PENDING' && !holds(rule, v)) {
    // A spike shorter than forMs: back to nothing, and nothing to announce beyond the PENDING it made.
    s.state = 'INACTIVE';
    s.since = undefined;
    return [{ type: 'RESOLVED' }];
  } else if (s.state === 'FIRING' && cleared(rule, v)) {
    s.state = 'INACTIVE';
    s.since = undefined;
    s.acted = false;
    return [{ type: 'RESOLVED' }];
  }
  if (s.state === 'PENDING' && t - s.since! >= rule.forMs) {
    s.state = 'FIRING';
    s.since = t;
    out.push({ type: 'FIRING', act: !s.acted });
  }
  return out;
}

/** The budget: room for one more action at `t`? Drops the times that left the window. */
export function budgetAllows(rule: Rule, s: RuleState, t: number): boolean {
  s.actions = s.actions.filter((at) => at > t - rule.actionWindowMs);
  return s.actions.length < rule.maxActions;
}
