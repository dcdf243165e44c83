// Issue 10, attack class 3: whoever guesses another client's correlationId used to receive that client's
// stored answer at its own reply topic. Stored answers (and answers in flight) now belong to the principal
// that sent the command. Against the agent process.
import { describe, expect, it } from 'vitest';
import { hostileSuite } from './hostile-clients.js';

describe('a stored answer is returned only to the principal that sent the command', () => {
  const s = hostileSuite();

  it('gives a service reusing an operator’s correlationId no stored answer: its own command runs', async () => {
    const { bench } = s;
    const secret = { name: 'svc', check: { type: 'none' }, config: { apiKey: 'operator-only' } };
    const first = await bench.operator.request('registry.register', { ...secret, correlationId: 'guessable-1' });
    expect(first).toMatchObject({ ok: true, result: { name: 'svc' } });
    const svc = await bench.as('svc');
    const stolen = await svc.request('registry.deregister', { name: 'svc', correlationId: 'guessable-1' }, 'svc');
    // The service's own deregistration ran: not the operator's registration answered again.
    expect(stolen).toMatchObject({ correlationId: 'guessable-1', ok: true, result: { name: 'svc' } });
    expect(JSON.stringify(stolen)).not.toContain('REGISTRY');
    // The operator still gets its own stored answer for its id, not the service's.
    const again = await bench.operator.request('registry.register', { ...secret, correlationId: 'guessable-1' });
    expect(again).toEqual(first);
  });

  it('gives another service (another name) nothing of a service’s stored answer', async () => {
    const { bench } = s;
    const svc = await bench.as('svc');
    const own = await svc.request('registry.register', { name: 'svc', check: { type: 'none' }, correlationId: 'svc-cid' }, 'svc');
    expect(own.ok).toBe(true);
    const other = await bench.as('svc-other');
    const reply = await other.request('registry.register', { name: 'svc-other', check: { type: 'none' }, correlationId: 'svc-cid' }, 'svc-other');
    expect(reply).toMatchObject({ ok: true, result: { name: 'svc-other' } });
    // And nothing of it reached the first service's topics.
    expect(svc.received.filter((m) => m.payload.toString().includes('svc-other'))).toEqual([]);
  });

  it('still answers its operator', async () => {
    const { bench } = s;
    expect(await bench.operator.request('agent.info')).toMatchObject({ ok: true, result: { agentId: 'hostile' } });
  });
});
