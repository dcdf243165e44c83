// The one rule that picks a service's executor (CONTRACT section 12), and what the router says when none runs it.
import { describe, expect, it } from 'vitest';
import type { Executor } from '../../src/executor/executor.js';
import { executorFor, ServiceExecutors } from '../../src/executor/service-executors.js';
import { record } from '../supervisor/doubles.js';

const fake = (kind: Executor['kind']): Executor => ({ kind }) as Executor;
const process_ = fake('process');
const docker = fake('docker');
const command = fake('command');
const start = { command: '/bin/true' };
const container = { name: 'edgex-core-data' };

describe('executorFor', () => {
  it.each([
    ['start', { start }, { process: process_, docker, fallback: command }, process_],
    ['container', { container }, { process: process_, docker, fallback: command }, docker],
    ['both: start wins', { start, container }, { process: process_, docker }, process_],
    ['neither, command default', {}, { process: process_, docker, fallback: command }, command],
    ['neither, no default', {}, { process: process_, docker }, undefined],
  ] as const)('%s', (_what, service, choice, expected) => {
    expect(executorFor(service, { ...choice, reboot: process_ })).toBe(expected);
  });

  it('the router refuses a service nothing runs with the contract\'s words, and acts on none of its calls', async () => {
    const router = new ServiceExecutors({ process: process_, docker, reboot: process_ });
    const svc = record({ name: 'keeper-svc' });
    expect(router.refusal(svc)).toBe('sma-bridge does not run keeper-svc: it was registered without a start command or container');
    await expect(router.stop(svc)).rejects.toMatchObject({ code: 'EXECUTOR_FAILED' });
    expect(router.isAlive('keeper-svc')).toBeUndefined();
    expect(await router.metrics(svc)).toBeUndefined();
  });
});
