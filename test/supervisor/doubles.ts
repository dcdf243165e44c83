// Test doubles for the supervisor's unit tests. Why doubles here: these tests exercise the engine's own logic
// (verdicts, restart timing, desired state, events) under a FakeClock, which needs an executor whose liveness
// the test sets and a registry that answers at once. The real providers have their own tests
// (test/executor/** for the executors against real processes; the registry providers' suite elsewhere).
import pino, { type Logger } from 'pino';
import type { ServiceEvent, SmaEvent } from '../../src/events.js';
import { EventBus } from '../../src/events.js';
import type { Executor, ProcessExit, ProcessMetrics } from '../../src/executor/executor.js';
import type { ServiceRecord, ServiceRegistration } from '../../src/model.js';
import type { RecordPatch, Registry } from '../../src/registry/registry.js';

export class MemoryRegistry implements Registry {
  readonly kind = 'SMA';
  readonly records = new Map<string, ServiceRecord>();
  readonly updates: Array<{ name: string; patch: RecordPatch }> = [];
  private nextId = 0;

  constructor(initial: Array<Partial<ServiceRecord> & { name: string }> = []) {
    for (const r of initial) this.records.set(r.name, record(r, this.nextId++));
  }

  async list(): Promise<ServiceRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r }));
  }

  async get(name: string): Promise<ServiceRecord | undefined> {
    const r = this.records.get(name);
    return r && { ...r };
  }

  async register(reg: ServiceRegistration): Promise<ServiceRecord> {
    const old = this.records.get(reg.name);
    const r: ServiceRecord = {
      ...record({ ...reg, plugin: reg.plugin ?? false, config: reg.config ?? {} }, old?.instanceId ?? this.nextId++),
      ...(old ? { desired: old.desired, restarts: old.restarts, failed: old.failed } : {}),
    };
    this.records.set(r.name, r);
    return { ...r };
  }

  async deregister(name: string): Promise<ServiceRecord | undefined> {
    return this.update(name, { halted: true });
  }

  async update(name: string, patch: RecordPatch): Promise<ServiceRecord | undefined> {
    const r = this.records.get(name);
    if (!r) return undefined;
    this.updates.push({ name, patch });
    // As every provider does (src/registry/service-record.ts patched()): each write bumps the version.
    const next = { ...r, ...patch, version: (r.version ?? 0) + 1 };
    this.records.set(name, next);
    return { ...next };
  }

  async close(): Promise<void> {}
}

export function record(r: Partial<ServiceRecord> & { name: string }, instanceId = 0): ServiceRecord {
  return {
    check: { type: 'process' },
    plugin: false,
    config: {},
    instanceId,
    desired: 'RUNNING',
    failed: false,
    restarts: 0,
    halted: false,
    source: 'REGISTRY',
    ...r,
  };
}

type Action = 'start' | 'stop' | 'restart';

/** An executor whose children are flags the test sets; every call is recorded with the fake time it came at. */
export class FakeExecutor implements Executor {
  readonly kind = 'process';
  readonly canReboot = false;
  readonly alive = new Map<string, boolean | undefined>();
  readonly calls: Array<{ action: Action; name: string; at: number }> = [];
  readonly isAliveAsked: string[] = [];
  /** What an action does to the service's liveness (default: start/restart bring it up, stop takes it down). */
  effect: Record<Action, boolean | undefined> = { start: true, stop: false, restart: true };
  /** Makes the next call of an action throw. */
  readonly failNext = new Map<Action, Error>();
  metricsAnswer: ProcessMetrics | undefined | Error = undefined;
  private readonly exitListeners: Array<(name: string, exit: ProcessExit) => void> = [];

  constructor(private readonly now: () => number) {}

  onExit(listener: (name: string, exit: ProcessExit) => void): void {
    this.exitListeners.push(listener);
  }

  /** The child of `name` ends by itself, as a real process executor reports it. */
  exit(name: string, code: number | null, signal: NodeJS.Signals | null = null): void {
    this.alive.set(name, false);
    for (const l of this.exitListeners) l(name, { code, signal, at: this.now(), expected: false });
  }

  async start(s: ServiceRecord): Promise<void> {
    this.act('start', s.name);
  }

  async stop(s: ServiceRecord): Promise<void> {
    this.act('stop', s.name);
  }

  async restart(s: ServiceRecord): Promise<void> {
    this.act('restart', s.name);
  }

  async metrics(): Promise<ProcessMetrics | undefined> {
    if (this.metricsAnswer instanceof Error) throw this.metricsAnswer;
    return this.metricsAnswer;
  }

  isAlive(name: string): boolean | undefined {
    this.isAliveAsked.push(name);
    return this.alive.get(name);
  }

  async reboot(): Promise<void> {}

  async close(): Promise<void> {}

  callsOf(action: Action, name?: string): number[] {
    return this.calls.filter((c) => c.action === action && (name === undefined || c.name === name)).map((c) => c.at);
  }

  private act(action: Action, name: string): void {
    this.calls.push({ action, name, at: this.now() });
    const failure = this.failNext.get(action);
    if (failure) {
      this.failNext.delete(action);
      throw failure;
    }
    const effect = this.effect[action];
    if (effect !== undefined) this.alive.set(name, effect);
  }
}

/** Collects events from a bus, with a filter for service events of one type. */
export class EventLog {
  readonly all: SmaEvent[] = [];

  constructor(bus: EventBus) {
    bus.on((e) => this.all.push(e));
  }

  service(type?: ServiceEvent['type'], name?: string): ServiceEvent[] {
    return this.all.filter(
      (e): e is ServiceEvent => e.kind === 'service' && (type === undefined || e.type === type) && (name === undefined || e.name === name),
    );
  }
}

/** A pino logger whose JSON lines the test can read. */
export function capturingLogger(level = 'debug'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}

/** Lets pending promise callbacks (an async check, an executor call) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
