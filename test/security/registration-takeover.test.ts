// Issue 10, attack class 1: a service user registers or deregisters names other than its own, or gives a
// registration a start command that the supervisor would later run as the agent's user. Against the agent
// process; each case shows the effect did not happen and the agent still answers its operator.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hostileSuite, settle } from './hostile-clients.js';

describe('a service may register, deregister and ask only as itself, and never decides a start command', () => {
  const s = hostileSuite({ health: { intervalMs: 200, retries: 1, restartDelayMs: 100 } });

  const names = async (): Promise<string[]> =>
    ((await s.bench.operator.request('services.list', { includeDeregistered: true })).result as Array<{ name: string }>).map((v) => v.name);

  it('refuses a registration under another name (FORBIDDEN, nothing registered)', async () => {
    const { bench } = s;
    const svc = await bench.as('svc');
    const reply = await svc.request('registry.register', { name: 'svc-other', check: { type: 'none' } }, 'svc');
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await names()).not.toContain('svc-other');
  });

  it('refuses a deregistration of another service (the victim stays registered)', async () => {
    const { bench } = s;
    expect((await bench.operator.request('registry.register', { name: 'svc-other', check: { type: 'none' } })).ok).toBe(true);
    const svc = await bench.as('svc');
    const reply = await svc.request('registry.deregister', { name: 'svc-other' }, 'svc');
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const list = (await bench.operator.request('services.list')).result as Array<{ name: string }>;
    expect(list.map((v) => v.name)).toContain('svc-other');
  });

  it('refuses its own registration when it carries a start command, and the command never runs', async () => {
    const { bench } = s;
    const marker = join(bench.agent.dataDir, 'pwned-by-service');
    const svc = await bench.as('svc');
    const start = { command: '/bin/sh', args: ['-c', `id > ${marker}`] };
    const reply = await svc.request('registry.register', { name: 'svc', check: { type: 'process' }, start }, 'svc');
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // An operator's start of the name would run whatever start command the registration left behind.
    await bench.operator.request('services.start', { names: ['svc'] });
    await settle(bench.operator);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps the operator’s start command when the service re-registers itself (cannot remove or change it)', async () => {
    const { bench } = s;
    const sleeper = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
    expect((await bench.operator.request('registry.register', { name: 'svc', check: { type: 'process' }, start: sleeper })).ok).toBe(true);
    const svc = await bench.as('svc');
    const reply = await svc.request('registry.register', { name: 'svc', check: { type: 'none' }, config: { from: 'svc' } }, 'svc');
    expect(reply).toMatchObject({ ok: true, result: { name: 'svc' } });
    const started = await bench.operator.request('services.start', { names: ['svc'] });
    // With the start command gone the process executor could not start it.
    expect((started.result as Array<{ result: string }>)[0]).toMatchObject({ name: 'svc', result: 'OK' });
    await bench.operator.request('services.stop', { names: ['svc'] });
  });

  it('refuses every operator-only request of a service, even about itself (another topic)', async () => {
    const { bench } = s;
    const svc = await bench.as('svc');
    // The broker's ACL already hangs up on services.stop; config.get about another service reaches the policy.
    expect(await svc.publish(`${bench.agent.topicRoot}/request/services.stop`, JSON.stringify({ names: ['svc'] }))).toBe('refused');
    const svc2 = await bench.as('svc');
    const reply = await svc2.request('config.get', { name: 'svc-other' }, 'svc');
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect((await svc2.request('config.get', { name: 'svc' }, 'svc')).ok).toBe(true);
    await settle(bench.operator);
  });
});
