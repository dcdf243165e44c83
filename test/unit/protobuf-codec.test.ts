// proto/sma.proto through protobufjs: a request's Struct body and a reply's Value survive the trip.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { decodeReply, protobufCodec, toStruct } from '../../src/mqtt/protobuf-codec.js';
import { ROOT } from '../support/agent-process.js';

const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
const Request = protobuf.loadSync(join(ROOT, 'proto/sma.proto')).lookupType('sma.v1.Request');

describe('protobuf codec', () => {
  it('decodes a Request into the operation body, correlation included', () => {
    const body = { names: ['a', 'b'], all: false, nested: { n: 1.5, none: null, list: [true, 'x'] } };
    const bytes = Request.encode(Request.fromObject({ correlationId: 'c-9', replyTo: 'x/y', body: toStruct(body) })).finish();
    expect(protobufCodec.decode(Buffer.from(bytes))).toEqual({ ...body, correlationId: 'c-9', replyTo: 'x/y' });
  });

  it('encodes ok and error replies', () => {
    const ok = decodeReply(protobufCodec.encode({ correlationId: 'c1', ok: true, result: [{ name: 'svc', restarts: 2, plugin: false }] }));
    expect(ok).toMatchObject({ correlationId: 'c1', ok: true, result: [{ name: 'svc', restarts: 2, plugin: false }] });
    const bad = decodeReply(protobufCodec.encode({ correlationId: null, ok: false, error: { code: 'NOT_FOUND', message: 'no' } }));
    expect(bad).toMatchObject({ correlationId: '', ok: false, error: { code: 'NOT_FOUND', message: 'no' } });
  });

  it('throws on bytes that are not a Request, so the front can answer INVALID_REQUEST', () => {
    expect(() => protobufCodec.decode(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow();
  });
});
