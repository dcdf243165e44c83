// Rule states in the store (section `rules`), written only when a state changes: a few writes a day.
import type { Section } from '../store/store.js';
import type { RuleMemory, StoredRuleState } from './rule-engine.js';

export class StoreRuleMemory implements RuleMemory {
  constructor(private readonly section: Section<StoredRuleState>) {}

  async recall(): Promise<Map<string, StoredRuleState>> {
    const out = new Map<string, StoredRuleState>();
    for await (const [key, value] of this.section.entries()) out.set(key, value);
    return out;
  }

  keep(entries: Array<[string, StoredRuleState | undefined]>): Promise<void> {
    return this.section.batch(entries.map(([key, value]) => (value === undefined ? { type: 'del', key } : { type: 'put', key, value })));
  }
}
