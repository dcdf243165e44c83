// Pure rules shared by the providers: config merging, stored-record parsing, own-write recognition.
import { describe, expect, it } from 'vitest';
import { OwnWrites } from '../../src/registry/own-writes.js';
import { addedKeys, withDefaults } from '../../src/registry/service-record.js';
import { parseStored } from '../../src/registry/stored-record.js';

describe('config rules', () => {
  it.each([
    [{ a: 1 }, { a: 2, b: 3 }, { a: 1, b: 3 }],
    [{ n: { x: 1 } }, { n: { x: 0, y: 2 }, z: [1] }, { n: { x: 1, y: 2 }, z: [1] }],
    [{ n: [1] }, { n: { x: 1 } }, { n: [1] }],
    [{}, {}, {}],
  ])('withDefaults(%j, %j) = %j (stored keys win)', (stored, defaults, out) => {
    expect(withDefaults(stored, defaults)).toEqual(out);
  });

  it.each([
    [{ a: 1, b: 2 }, { a: 1 }, { b: 2 }],
    [{ n: { x: 1, y: 2 } }, { n: { x: 5 } }, { n: { y: 2 } }],
    [{ a: 1 }, { a: 1, gone: true }, {}],
  ])('addedKeys(%j, %j) = %j', (now, before, out) => {
    expect(addedKeys(now, before)).toEqual(out);
  });
});

describe('parseStored (records other clients may write)', () => {
  it('fills defaults for a minimal record', () => {
    expect(parseStored('{}')).toEqual({ check: { type: 'none' }, plugin: false, desired: 'RUNNING', failed: false, restarts: 0, halted: false, version: 0 });
  });
  it.each(['{not json', '{"port":"x"}', '{"check":{"type":"bogus"}}', '{"restarts":-1}', '[]'])('refuses %s with a reason', (json) => {
    expect(typeof parseStored(json)).toBe('string');
  });
});

describe('OwnWrites', () => {
  function rig() {
    let foreign = 0;
    const own = new OwnWrites(() => foreign++);
    return { own, foreign: () => foreign };
  }
  const deferred = <T>() => {
    let resolve!: (v: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
  };

  it('ignores the event of its own write, also when the event beats the write response', async () => {
    const { own, foreign } = rig();
    const write = deferred<string>();
    const done = own.track(write.promise, (rev) => rev);
    own.seen('7');
    expect(foreign()).toBe(0);
    write.resolve('7');
    await done;
    expect(foreign()).toBe(0);
  });

  it('reports a foreign event held back while a write was in flight, once the write lands', async () => {
    const { own, foreign } = rig();
    const write = deferred<string>();
    const done = own.track(write.promise, (rev) => rev);
    own.seen('5');
    own.seen('6');
    write.resolve('6');
    await done;
    expect(foreign()).toBe(1);
  });

  it('a failed compare-and-set creates no revision of its own', async () => {
    const { own, foreign } = rig();
    await own.track(Promise.resolve({ succeeded: false, revision: '9' }), (r) => (r.succeeded ? r.revision : undefined));
    own.seen('9');
    expect(foreign()).toBe(1);
  });
});
