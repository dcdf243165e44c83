// Which datagrams take the plain-read path (answered without the coap package's streams): a confirmable
// GET with nothing that needs the package's state. Everything else goes the package's way.
import { parse, generate } from 'coap-packet';
import { describe, expect, it } from 'vitest';
import { plainRead } from '../../src/lwm2m/transport/plain-reads.js';

const src = { address: '127.0.0.1', port: 5683 };
const path = (p: string) => p.split('/').filter(Boolean).map((s) => ({ name: 'Uri-Path' as const, value: Buffer.from(s) }));
const packet = (o: Parameters<typeof generate>[0]) => parse(generate({ messageId: 7, token: Buffer.from([1, 2]), ...o }));

describe('plainRead', () => {
  it('takes a confirmable GET with its path, query and Accept', () => {
    const req = plainRead(packet({ code: '0.01', confirmable: true, options: [...path('/3/0'), { name: 'Accept', value: Buffer.from([110]) }, { name: 'Uri-Query', value: Buffer.from('x=1') }] }), src);
    expect(req).toMatchObject({ method: 'GET', path: [3, 0], accept: 110, query: [['x', '1']], messageId: 7, token: '0102', source: src });
  });

  it.each([
    ['an Observe', { code: '0.01', confirmable: true, options: [{ name: 'Observe', value: Buffer.alloc(0) }, ...path('/3/0')] }],
    ['a Block2', { code: '0.01', confirmable: true, options: [...path('/33000'), { name: 'Block2', value: Buffer.from([0x16]) }] }],
    ['an ETag', { code: '0.01', confirmable: true, options: [{ name: 'ETag', value: Buffer.from([1]) }, ...path('/3/0')] }],
    ['a NON GET', { code: '0.01', confirmable: false, options: path('/3/0') }],
    ['a PUT', { code: '0.03', confirmable: true, options: path('/3/0/13') }],
    ['a path that is not an LwM2M path', { code: '0.01', confirmable: true, options: path('/rd/x') }],
  ] as const)('leaves %s to the coap package', (_what, o) => {
    expect(plainRead(packet(o as Parameters<typeof generate>[0]), src)).toBeUndefined();
  });
});
