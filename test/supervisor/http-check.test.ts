// The `http` check against real local HTTP servers (firmware-sim/service.js as child processes). The
// supervisor's schedule and time-outs run on a FakeClock; the requests are real, so each step polls for its outcome.
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import type { Config } from '../../src/config/schema.js';
import { EventBus } from '../../src/events.js';
import type { Executor } from '../../src/executor/executor.js';
import { ProcessExecutor } from '../../src/executor/process-executor.js';
import type { ServiceRecord } from '../../src/model.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { EventLog, FakeExecutor, MemoryRegistry, record } from './doubles.js';
import { freePort, SIM_SERVICE, spawnSim, type Sim } from './sim-process.js';

const health: Config['health'] = {
  allowedHosts: [],
  intervalMs: 1000,
  timeoutMs: 500,
  retries: 2,
  restartDelayMs: 2000,
  backoffMaxMs: 8000,
  maxRestarts: 3,
  restartWindowMs: 60_000,
  restartPolicy: 'on-unhealthy',
  healthyRunMs: 600_000,
  startGraceMs: 0,
};
const silent = pino({ level: process.env.DBG ? 'debug' : 'silent' });
const poll = { timeout: 10_000, interval: 20 };

let healthy: Sim;
let reportsDown: Sim;
let hung: Sim;
let closedPort: number;

beforeAll(async () => {
  [healthy, reportsDown, hung, closedPort] = await Promise.all([spawnSim(), spawnSim(['--health', 'DOWN']), spawnSim(['--hang']), freePort()]);
});
afterAll(async () => {
  await Promise.all([healthy?.stop(), reportsDown?.stop(), hung?.stop()]);
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function supervise(records: ServiceRecord[], executor: Executor = new FakeExecutor(() => 0)) {
  const clock = new FakeClock();
  const registry = new MemoryRegistry(records);
  const bus = new EventBus();
  const events = new EventLog(bus);
  const sup = new Supervisor({ registry, executor, events: bus, clock, health, log: silent });
  cleanups.push(() => sup.close());
  await sup.start();
  const view = (name: string) => sup.health(registry.records.get(name)!);
  return { clock, registry, sup, events, view };
}

// Checked (meant to run) but never restarted: these tests are about verdicts.
const http = (name: string, url: string): ServiceRecord => record({ name, check: { type: 'http', url }, restartPolicy: 'never' });

describe('http check', () => {
  it('passes on 2xx (JSON status UP, or a plain body); misses on JSON status DOWN, 404, refusal and silence', async () => {
    const { clock, view } = await supervise([
      http('json-up', healthy.url('/health')),
      http('plain', healthy.url('/ping')),
      http('json-down', reportsDown.url('/health')),
      http('missing', healthy.url('/nope')),
      http('refused', `http://127.0.0.1:${closedPort}/health`),
      http('hung', hung.url('/health')),
    ]);
    clock.advance(0); // first round of checks
    await vi.waitFor(() => {
      expect(view('json-up').health).toBe('UP');
      expect(view('plain').health).toBe('UP');
      expect(view('json-down').detail).toBe('status DOWN');
      expect(view('missing').detail).toBe('HTTP 404');
      expect(view('refused').detail).toMatch(/ECONNREFUSED/);
    }, poll);
    expect(view('hung').detail).toBeUndefined(); // still waiting for an answer
    clock.advance(health.timeoutMs);
    await vi.waitFor(() => expect(view('hung').detail).toBe('no answer within 500 ms'), poll);
    // One miss is not yet DOWN (retries = 2).
    for (const name of ['json-down', 'missing', 'refused', 'hung']) expect(view(name).health).toBe('UNKNOWN');

    clock.advance(health.intervalMs - health.timeoutMs); // second round
    await vi.waitFor(() => {
      for (const name of ['json-down', 'missing', 'refused']) expect(view(name).health).toBe('DOWN');
    }, poll);
    clock.advance(health.timeoutMs);
    await vi.waitFor(() => expect(view('hung').health).toBe('DOWN'), poll);
    expect(view('json-up').health).toBe('UP');
  });

  it('a service that turns DOWN is DOWN after `retries` misses', async () => {
    const sim = await spawnSim();
    cleanups.push(() => sim.stop());
    const { clock, view, sup } = await supervise([http('s', sim.url('/health'))]);
    clock.advance(0);
    await vi.waitFor(() => expect(view('s').health).toBe('UP'), poll);
    expect(await sim.post('/down')).toBe(200);
    for (let miss = 1; miss <= health.retries; miss += 1) {
      clock.advance(health.intervalMs);
      await vi.waitFor(() => expect(sup.counters().checksFailed).toBe(miss), poll);
    }
    expect(view('s')).toMatchObject({ health: 'DOWN', detail: 'status DOWN' });
  });
});

describe('supervisor with the process executor and a real service', () => {
  it('starts a service remembered as running; its crash is DOWN at once and restarted after restartDelayMs', async () => {
    const port = await freePort();
    const executor = new ProcessExecutor({ stopGraceMs: 2000, log: silent });
    cleanups.push(() => executor.close());
    const rec = record({
      name: 'sim',
      check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
      start: { command: process.execPath, args: [SIM_SERVICE, '--port', String(port)] },
    });
    const { clock, sup, registry, events, view } = await supervise([rec], executor);
    const answers = async (): Promise<boolean> => (await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined))?.ok === true;

    // The fake clock is moved only to the instant a check is due, then the real request is let finish:
    // moving it further while a request is in flight would fire that request's time-out.
    // Remembered as meant to run: the first check finds nothing, and the executor owns no such child, so the
    // supervisor starts it (a start, not a restart).
    clock.advance(0);
    await vi.waitFor(() => expect(executor.isAlive('sim')).toBe(true), poll);
    expect(sup.view(registry.records.get('sim')!).status).toBe('STARTING');
    await vi.waitFor(async () => expect(await answers()).toBe(true), poll);
    clock.advance(50); // the first check comes soon after the start, not a full interval later
    await vi.waitFor(() => expect(sup.view(registry.records.get('sim')!).status).toBe('RUNNING'), poll);
    expect(registry.records.get('sim')!.restarts).toBe(0);
    expect(events.service('RESTART')).toEqual([]);

    // The exit is the verdict: DOWN at once (no check has to miss), BACKOFF until restartDelayMs is over.
    const missesBefore = sup.counters().checksFailed;
    await fetch(`http://127.0.0.1:${port}/crash`, { method: 'POST' });
    await vi.waitFor(() => expect(view('sim')).toMatchObject({ health: 'DOWN', detail: 'process exited with status 1' }), poll);
    const crashed = sup.view(registry.records.get('sim')!);
    expect(crashed).toMatchObject({ status: 'BACKOFF', exitCode: 1, nextAttemptAt: new Date(clock.now() + health.restartDelayMs).toISOString() });
    expect(crashed.lastExitAt).toBe(new Date(clock.now()).toISOString());
    expect(events.service('EXIT', 'sim')).toEqual([expect.objectContaining({ exitCode: 1 })]);
    expect(sup.counters().checksFailed).toBe(missesBefore);
    clock.advance(health.restartDelayMs - 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(executor.isAlive('sim')).toBe(false); // restartDelayMs is not over yet
    clock.advance(1); // now it is
    await vi.waitFor(() => expect(executor.isAlive('sim')).toBe(true), poll);
    await vi.waitFor(async () => expect(await answers()).toBe(true), poll);
    expect(view('sim').health).toBe('UNKNOWN'); // a new process: not judged before its first check
    clock.advance(50);
    await vi.waitFor(() => expect(view('sim').health).toBe('UP'), poll);
    expect(events.service('RESTART', 'sim')).toEqual([expect.objectContaining({ attempt: 1 })]);
    expect(registry.records.get('sim')!.restarts).toBe(1);
    expect(sup.view(registry.records.get('sim')!).status).toBe('RUNNING');
  });
});
