// LogThrottle: a flood of bad input gives a bounded number of log lines and a count of the rest.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { LogThrottle } from '../../src/log-throttle.js';

function capture(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, sink), lines };
}

describe('LogThrottle', () => {
  it('logs the first N in a window, then one line counting the rest when the next window opens', async () => {
    const { log, lines } = capture();
    let now = 0;
    const t = new LogThrottle(log, () => now, 3, 1_000);
    for (let i = 0; i < 100; i++) t.warn({ i }, 'request refused');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.i)).toEqual([0, 1, 2]);
    now = 1_000;
    t.warn({ i: 100 }, 'request refused');
    await new Promise((r) => setImmediate(r));
    expect(lines[3]).toMatchObject({ suppressed: 97, msg: 'request refused: 97 more not logged' });
    expect(lines[4]).toMatchObject({ i: 100 });
    expect(lines).toHaveLength(5);
  });
});
