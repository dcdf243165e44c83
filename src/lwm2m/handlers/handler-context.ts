// What every downlink handler may use.
import type { Clock } from '../../clock.js';
import type { Logger } from 'pino';
import type { IntakeClient } from '../intake-client.js';
import type { ObjectTree } from '../object-tree.js';
import type { AttributeStore } from '../observe/attribute-store.js';
import type { ObservationRegistry } from '../observe/observation-registry.js';

export interface HandlerContext {
  tree: ObjectTree;
  intake: IntakeClient;
  attributes: AttributeStore;
  observations: ObservationRegistry;
  clock: Clock;
  log: Logger;
  /** Format for multi-value reads without Accept: SenML JSON, or TLV for a server that took us as 1.0. */
  multiValueFormat(): number;
  /** A start/stop/restart result for a service, kept for 33000/x/12. */
  recordResult(name: string, text: string): void;
}
