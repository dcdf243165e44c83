// Issue 11 item 4: the command journal is bounded in bytes, with a share per principal. A service filling
// its share gets UNAVAILABLE for new commands; its stored answers stay; other principals, and reads, go on.
// Against the agent process with the embedded broker's users (one per role).
import { describe, expect, it } from 'vitest';
import { hostileSuite } from '../security/hostile-clients.js';

// 64 KiB in all (the smallest the configuration takes), a quarter of it per principal: 16 KiB.
const LIMITS = { journalMaxBytes: 65_536, journalPrincipalShare: 0.25 };
// About 3 KiB journaled per registration, twice that once its answer (the registration) is stored with it.
const bulky = (name: string, cid: string): Record<string, unknown> => ({ name, check: { type: 'none' }, config: { blob: 'x'.repeat(3_000) }, correlationId: cid });

describe('the command journal is bounded in bytes, per principal', () => {
  const s = hostileSuite({ operations: LIMITS });

  it('refuses a principal past its share with UNAVAILABLE, keeps its stored answers, and lets the others on', async () => {
    const { bench } = s;
    const svc = await bench.as('svc');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await svc.request('registry.register', bulky('svc', `fill-${i}`), 'svc'));
    const refused = answers.filter((a) => !a.ok);
    expect(answers[0]).toMatchObject({ ok: true });
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', message: expect.stringContaining('share of the command journal') } });

    // A re-send of a command it was answered is answered the same, from the journal.
    expect(await svc.request('registry.register', bulky('svc', 'fill-0'), 'svc')).toEqual(answers[0]);

    // Another service and the operator still get commands through; reads are not journaled at all.
    const other = await bench.as('svc-other');
    expect(await other.request('registry.register', bulky('svc-other', 'other-1'), 'svc-other')).toMatchObject({ ok: true });
    expect(await bench.operator.request('registry.register', { name: 'op-made', check: { type: 'none' } })).toMatchObject({ ok: true });
    expect(await svc.request('config.get', { name: 'svc', correlationId: 'read-1' }, 'svc')).toMatchObject({ ok: true });
    expect(await bench.operator.request('agent.info')).toMatchObject({ ok: true });

    // The refusal is logged, but not once per refused command.
    const logged = bench.agent.logs().filter((l) => l.msg === 'journal budget reached');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.length).toBeLessThanOrEqual(refused.length);
  });
});
