// Service output kept in memory (CONTRACT section 16): lines cut at their bound, rings bounded in lines and in
// bytes, events gathered and capped. Pure units on a fake clock.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { EventBus, type LogEvent } from '../../src/events.js';
import { CUT_MARK, LineSplitter } from '../../src/output/line-splitter.js';
import { OutputRing } from '../../src/output/output-ring.js';
import { ServiceOutput } from '../../src/output/service-output.js';

const split = (chunks: Array<string | Buffer>, maxLineBytes = 16): string[] => {
  const lines: string[] = [];
  const s = new LineSplitter({ maxLineBytes, onLine: (t) => lines.push(t) });
  for (const c of chunks) s.write(Buffer.isBuffer(c) ? c : Buffer.from(c));
  s.end();
  return lines;
};

describe('LineSplitter', () => {
  it.each([
    [['a\nb\n'], ['a', 'b']],
    [['a', 'b\n', 'c'], ['ab', 'c']],
    [['\n\n'], ['', '']],
    [['crlf\r\n'], ['crlf']],
    [['0123456789abcdefXYZ\nnext\n'], [`0123456789abcdef${CUT_MARK}`, 'next']],
    [['0123456789', 'abcdefXYZ', 'more', '\nnext'], [`0123456789abcdef${CUT_MARK}`, 'next']],
    [['0123456789abcdef\n'], [`0123456789abcdef`]],
  ])('%j -> %j', (chunks, lines) => {
    expect(split(chunks)).toEqual(lines);
  });

  it('holds no more than a line\'s bound of a line that never ends', () => {
    const lines: string[] = [];
    const s = new LineSplitter({ maxLineBytes: 1024, onLine: (t) => lines.push(t) });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 200; i++) s.write(chunk);
    s.write(Buffer.from('\nafter\n'));
    expect(lines.map((l) => l.length)).toEqual([1024 + CUT_MARK.length, 5]);
  });
});

describe('OutputRing', () => {
  const line = (i: number, text = `line ${i}`) => ({ t: i, stream: 'stdout' as const, text });

  it('keeps the last lines, oldest first', () => {
    const ring = new OutputRing(3, 1 << 20);
    for (let i = 0; i < 10; i++) ring.push(line(i));
    expect(ring.lines(100).map((l) => l.t)).toEqual([7, 8, 9]);
    expect(ring.lines(2).map((l) => l.t)).toEqual([8, 9]);
    expect(ring.lines(100, 9).map((l) => l.t)).toEqual([9]);
  });

  it('evicts by bytes when the lines are long', () => {
    const ring = new OutputRing(1000, 10_000);
    for (let i = 0; i < 100; i++) ring.push(line(i, 'x'.repeat(1000)));
    expect(ring.size.bytes).toBeLessThanOrEqual(10_000);
    expect(ring.lines(1000).map((l) => l.t)).toEqual([96, 97, 98, 99]);
  });
});

describe('ServiceOutput', () => {
  it('keeps both streams per service in arrival order and gathers them into capped events', () => {
    const clock = new FakeClock();
    const events = new EventBus();
    const seen: LogEvent[] = [];
    events.on((e) => e.kind === 'log' && seen.push(e));
    const output = new ServiceOutput({ lines: 100, maxBytes: 1 << 20, maxLineBytes: 100, publishEveryMs: 250, publishMaxLines: 3, clock, events });
    const out = output.sink('svc', 'stdout');
    const err = output.sink('svc', 'stderr');
    out.write(Buffer.from('one\n'));
    clock.advance(1);
    err.write(Buffer.from('two\n'));
    out.write(Buffer.from('three\nfour\nfive\n'));
    expect(output.lines('svc', 10, 0).map((l) => `${l.stream}:${l.text}`)).toEqual(['stdout:one', 'stderr:two', 'stdout:three', 'stdout:four', 'stdout:five']);
    expect(output.lines('other', 10, 0)).toEqual([]);
    expect(seen).toHaveLength(0);
    clock.advance(250);
    expect(seen).toHaveLength(1);
    expect(seen[0].lines.map((l) => l.text)).toEqual(['one', 'two', 'three']);
    expect(seen[0].dropped).toBe(2);
  });
});
