// The supervisor under a FakeClock with the doubles from ./doubles.ts (see there for why), shared by its tests.
import { afterEach } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import type { Config } from '../../src/config/schema.js';
import { EventBus } from '../../src/events.js';
import type { Executor } from '../../src/executor/executor.js';
import type { ServiceRecord } from '../../src/model.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { capturingLogger, EventLog, FakeExecutor, MemoryRegistry, settle } from './doubles.js';

export const health: Config['health'] = {
  allowedHosts: [],
  intervalMs: 1000,
  timeoutMs: 500,
  retries: 3,
  restartDelayMs: 2000,
  backoffMaxMs: 5000,
  maxRestarts: 3,
  restartWindowMs: 60_000,
  restartPolicy: 'on-unhealthy',
  healthyRunMs: 600_000,
  startGraceMs: 0,
};

export interface Rig {
  clock: FakeClock;
  t0: number;
  registry: MemoryRegistry;
  executor: FakeExecutor;
  events: EventLog;
  sup: Supervisor;
  lines: Array<Record<string, unknown>>;
  /** Moves fake time forward in small steps, letting async checks finish in between. */
  tick(ms: number): Promise<void>;
  rec(name: string): ServiceRecord;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.sup.close();
});

/** `route` puts the fake behind what the agent really puts in front of executors (ServiceExecutors), when a test needs it. */
export async function rig(
  records: Array<Partial<ServiceRecord> & { name: string }>,
  alive: Record<string, boolean> = {},
  h = health,
  route?: (fake: FakeExecutor) => Executor,
): Promise<Rig> {
  const clock = new FakeClock();
  const registry = new MemoryRegistry(records);
  const executor = new FakeExecutor(() => clock.now());
  for (const [name, a] of Object.entries(alive)) executor.alive.set(name, a);
  const bus = new EventBus();
  const events = new EventLog(bus);
  const { log, lines } = capturingLogger();
  const sup = new Supervisor({ registry, executor: route ? route(executor) : executor, events: bus, clock, health: h, log });
  const r: Rig = {
    clock,
    t0: clock.now(),
    registry,
    executor,
    events,
    sup,
    lines,
    async tick(ms) {
      for (let done = 0; done < ms; done += 100) {
        clock.advance(Math.min(100, ms - done));
        await settle();
      }
      if (ms === 0) {
        clock.advance(0);
        await settle();
      }
    },
    rec: (name) => registry.records.get(name)!,
  };
  rigs.push(r);
  await sup.start();
  return r;
}

