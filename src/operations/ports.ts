// Everything an operation may touch. Built once in the composition root (src/agent.ts).
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Registry } from '../registry/registry.js';
import type { ServiceControl } from '../supervisor/service-control.js';
import type { TrustQuery } from '../trust/trust-query.js';

/** The agent process itself, addressable by name in a batch (run last, after the reply is sent). */
export interface SelfControl {
  readonly name: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface AgentInfo {
  agentId: string;
  version: string;
  startedAt: number;
}

export interface Ports {
  registry: Registry;
  services: ServiceControl;
  trust: TrustQuery;
  events: EventBus;
  clock: Clock;
  self: SelfControl;
  agent: AgentInfo;
}

/** What an operation gives back: a result, and optionally work to run once the reply is out. */
export interface OperationOutcome {
  result: unknown;
  afterReply?: () => Promise<void>;
}
