// Issue 12 item 4: after the LwM2M server restarts (and forgets every registration), the client is
// registered again within lifetime/2 + 15 s of the server coming back, for any outage length and any
// moment of the outage relative to the Update. On a FakeClock; the send function models what the coap
// Agent does on the wire: a confirmable request retransmitted after 2, 6 and 14 s (ACK_TIMEOUT 2 s,
// doubling, the random factor at either end), each copy reaching the server only if it is up at that moment,
// and giving up after the request's time-out.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { defaultParameters } from '../../src/lwm2m/parameters.js';
import { RegistrationSession } from '../../src/lwm2m/registration-session.js';
import type { UplinkRequest, UplinkResponse } from '../../src/lwm2m/transport/coap-endpoint.js';

const flush = () => new Promise((r) => setImmediate(r));
const LIFETIME_S = 60;
/** When the copies of one confirmable request go out: the random factor at its minimum and at its maximum. */
const SCHEDULES = { fastest: [0, 2_000, 6_000, 14_000, 30_000], slowest: [0, 3_000, 9_000, 21_000, 45_000] };

async function outage(downAtMs: number, downForMs: number, RETRANSMIT_AT_MS: number[]): Promise<number> {
  const clock = new FakeClock(0);
  const up = (t: number) => t < downAtMs || t >= downAtMs + downForMs;
  let known = false; // the server's registration table: lost when it restarts
  let registeredAt = -1;
  const answer = (req: UplinkRequest): UplinkResponse => {
    if (req.pathname === '/rd') {
      known = true;
      if (clock.now() >= downAtMs + downForMs && registeredAt < 0) registeredAt = clock.now();
      return { code: '2.01', locationPath: ['rd', 'x'], payload: Buffer.alloc(0) };
    }
    return { code: known ? '2.04' : '4.04', locationPath: [], payload: Buffer.alloc(0) };
  };
  const s = new RegistrationSession({
    endpoint: 'ep',
    lifetimeS: LIFETIME_S,
    server: { host: '127.0.0.1', port: 5683 },
    params: defaultParameters,
    clock,
    log: pino({ level: 'silent' }),
    send: (req) =>
      new Promise((resolve, reject) => {
        const timeoutMs = req.timeoutMs ?? defaultParameters.requestTimeoutMs;
        const cancels: Array<() => void> = [];
        const end = () => cancels.forEach((c) => c());
        for (const at of RETRANSMIT_AT_MS.filter((t) => t < timeoutMs)) {
          cancels.push(
            clock.setTimeout(() => {
              if (!up(clock.now())) return;
              end();
              resolve(answer(req));
            }, at),
          );
        }
        cancels.push(clock.setTimeout(() => (end(), reject(new Error('time-out'))), timeoutMs));
      }),
    links: async () => [{ uri: '/3/0', attributes: {} }],
  });
  // The restart: the server forgets registrations the moment it goes down.
  clock.setTimeout(() => (known = false), downAtMs);
  s.start();
  // Far enough past the return for today's worst case (an Update waiting 93 s) to show.
  for (let t = 0; t < downAtMs + downForMs + 150_000 && registeredAt < 0; t += 500) {
    clock.advance(500);
    for (let i = 0; i < 3; i++) await flush();
  }
  // No stop(): its De-register would wait on this clock, which no longer moves; nothing real is left running.
  return registeredAt < 0 ? Infinity : registeredAt - (downAtMs + downForMs);
}

describe('re-registration after a server restart', () => {
  it.each(Object.entries(SCHEDULES))(`is registered within lifetime/2 + 15 s of the server's return (lifetime ${LIFETIME_S} s, %s retransmissions)`, async (_name, schedule) => {
    const worst: Array<{ downAtMs: number; downForMs: number; afterMs: number }> = [];
    for (const downAtMs of [1_000, 20_000, 29_000, 30_500, 45_000]) {
      for (const downForMs of [3_000, 10_000, 40_000, 95_000, 400_000]) {
        const afterMs = await outage(downAtMs, downForMs, schedule);
        worst.push({ downAtMs, downForMs, afterMs });
      }
    }
    const late = worst.filter((w) => w.afterMs > (LIFETIME_S / 2 + 15) * 1000);
    expect(late).toEqual([]);
  });
});
