// Registration timing (Update before the lifetime ends, back-off while unreachable, re-register on
// 4.04) and notification attributes (pmin, pmax, gt, lt, st), all on a FakeClock.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { changeMatters, decide } from '../../src/lwm2m/observe/notification-policy.js';
import { DeadlineHeap } from '../../src/timing/deadline-heap.js';
import { defaultParameters } from '../../src/lwm2m/parameters.js';
import { RegistrationSession } from '../../src/lwm2m/registration-session.js';
import type { UplinkRequest, UplinkResponse } from '../../src/lwm2m/transport/coap-endpoint.js';

const flush = () => new Promise((r) => setImmediate(r));

function session(answer: (up: UplinkRequest) => UplinkResponse | Error, lifetimeS = 300) {
  const clock = new FakeClock();
  const sent: Array<UplinkRequest & { at: number }> = [];
  const s = new RegistrationSession({
    endpoint: 'ep',
    lifetimeS,
    server: { host: '127.0.0.1', port: 5683 },
    params: defaultParameters,
    clock,
    log: pino({ level: 'silent' }),
    send: async (up) => {
      sent.push({ ...up, at: clock.now() });
      const a = answer(up);
      if (a instanceof Error) throw a;
      return a;
    },
    links: async () => [{ uri: '/3/0', attributes: {} }],
  });
  const advance = async (ms: number) => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await flush();
  };
  return { s, clock, sent, advance };
}

const created: UplinkResponse = { code: '2.01', locationPath: ['rd', 'abc'], payload: Buffer.alloc(0) };
const changed: UplinkResponse = { code: '2.04', locationPath: [], payload: Buffer.alloc(0) };

describe('registration session', () => {
  it('registers, then updates before the lifetime runs out', async () => {
    const { s, sent, advance } = session((up) => (up.pathname === '/rd' ? created : changed), 300);
    s.start();
    await advance(0);
    expect(sent[0]).toMatchObject({ method: 'POST', pathname: '/rd', query: 'ep=ep&lt=300&lwm2m=1.1&b=U' });
    expect(String(sent[0]!.payload)).toBe('</>;rt="oma.lwm2m";ct=110,</3/0>');
    expect(s.state).toBe('registered');
    await advance(196_999);
    expect(sent).toHaveLength(1);
    await advance(1);
    expect(sent[1]).toMatchObject({ method: 'POST', pathname: '/rd/abc', at: sent[0]!.at + 197_000 });
    expect(sent[1]!.payload).toBeUndefined();
  });

  it('backs off exponentially while the server does not answer, then registers', async () => {
    let down = true;
    const { s, sent, advance } = session((up) => (down ? new Error('no answer') : up.pathname === '/rd' ? created : changed));
    s.start();
    await advance(0);
    for (const gap of [1000, 2000, 4000, 8000]) {
      const n = sent.length;
      await advance(gap - 1);
      expect(sent).toHaveLength(n);
      await advance(1);
      expect(sent).toHaveLength(n + 1);
    }
    down = false;
    await advance(16_000);
    expect(s.state).toBe('registered');
  });

  it('registers again when an Update gets 4.04', async () => {
    let forgot = false;
    const { s, sent, advance } = session((up) => (up.pathname === '/rd' ? created : forgot ? { ...changed, code: '4.04' } : changed), 20);
    s.start();
    await advance(0);
    forgot = true;
    await advance(10_000);
    expect(sent.map((r) => r.pathname)).toEqual(['/rd', '/rd/abc', '/rd']);
    expect(s.registrations).toBe(2);
  });

  it('falls back to LwM2M 1.0 when the server refuses 1.1', async () => {
    const { s, sent, advance } = session((up) => (String(up.query).includes('lwm2m=1.1') ? { ...changed, code: '4.00' } : created));
    s.start();
    await advance(0);
    expect(sent.map((r) => /lwm2m=([\d.]+)/.exec(String(r.query))?.[1])).toEqual(['1.1', '1.0']);
    expect(s.version).toBe('1.0');
  });

  it('de-registers on stop', async () => {
    const { s, sent, advance } = session((up) => (up.pathname === '/rd' ? created : changed));
    s.start();
    await advance(0);
    await s.stop();
    expect(sent.at(-1)).toMatchObject({ method: 'DELETE', pathname: '/rd/abc' });
  });
});

describe('notification attributes', () => {
  const base = { changed: true, sinceLastMs: 10_000, pmaxDue: false };
  it('any change notifies when no threshold is set; pmin delays it', () => {
    expect(decide({}, base)).toEqual({ action: 'send' });
    expect(decide({ pmin: 30 }, base)).toEqual({ action: 'wait', ms: 20_000 });
    expect(decide({}, { ...base, changed: false })).toEqual({ action: 'none' });
    expect(decide({ pmax: 60 }, { ...base, changed: false, pmaxDue: true })).toEqual({ action: 'send' });
  });
  it('gt and lt notify on crossing only; st on a step that large', () => {
    expect(changeMatters({ gt: 50 }, 40, 60)).toBe(true);
    expect(changeMatters({ gt: 50 }, 60, 70)).toBe(false);
    expect(changeMatters({ gt: 50 }, 60, 40)).toBe(true);
    expect(changeMatters({ lt: 10 }, 12, 8)).toBe(true);
    expect(changeMatters({ lt: 10 }, 8, 5)).toBe(false);
    expect(changeMatters({ st: 5 }, 10, 14)).toBe(false);
    expect(changeMatters({ st: 5 }, 10, 15)).toBe(true);
  });
  it('one deadline queue fires in time order behind one timer', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const q = new DeadlineHeap(clock, (k) => fired.push(k));
    q.schedule('b', clock.now() + 200);
    q.schedule('a', clock.now() + 100);
    q.schedule('c', clock.now() + 300);
    q.schedule('b', clock.now() + 400); // moved
    q.cancel('c');
    clock.advance(350);
    expect(fired).toEqual(['a']);
    clock.advance(100);
    expect(fired).toEqual(['a', 'b']);
    expect(q.size).toBe(0);
  });
});
