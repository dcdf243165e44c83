// Trust changes in the log: one line per level and window, a single device named.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { EventBus } from '../../src/events.js';
import { TrustChangeLog } from '../../src/trust/trust-change-log.js';
import type { Logger } from 'pino';

function recorder(): { log: Logger; lines: Array<{ fields: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  // A pino-shaped recorder: the class calls only info(fields, msg).
  const log = { info: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) } as unknown as Logger;
  return { log, lines };
}

describe('TrustChangeLog', () => {
  it('summarises a thousand devices turning NONE in one info line, and names a single device', () => {
    const clock = new FakeClock();
    const events = new EventBus();
    const { log, lines } = recorder();
    const summary = new TrustChangeLog({ subscribe: (l) => events.on(l), clock, log });
    summary.start();
    for (let i = 0; i < 1000; i++) events.emit({ kind: 'trust', id: `e${i}`, deviceId: `dev-${i}`, from: 'COMPLETE', to: 'NONE', reason: 'HEARTBEAT_TIMEOUT', at: clock.now() });
    events.emit({ kind: 'trust', id: 'x', deviceId: 'dev-back', from: 'NONE', to: 'COMPLETE', reason: 'HEARTBEAT', at: clock.now() });
    expect(lines).toEqual([]);
    clock.advance(1_000);
    expect(lines.map((l) => l.msg)).toEqual(['1000 devices turned NONE', 'device dev-back turned COMPLETE']);
    expect(lines[0]!.fields).toMatchObject({ trustLevel: 'NONE', devices: 1000, reasons: { HEARTBEAT_TIMEOUT: 1000 }, examples: ['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4'] });
    clock.advance(5_000);
    expect(lines).toHaveLength(2);
    events.emit({ kind: 'trust', id: 'y', deviceId: 'dev-7', from: 'COMPLETE', to: 'NONE', reason: 'PLUGIN_DOWN', at: clock.now() });
    summary.stop();
    expect(lines.at(-1)!.msg).toBe('device dev-7 turned NONE');
  });
});
