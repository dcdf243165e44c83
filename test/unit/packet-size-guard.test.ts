// The embedded broker's packet-size guard: packet boundaries across chunks, and the cut-off.
import { describe, expect, it } from 'vitest';
import { PacketSizeGuard } from '../../src/mqtt/packet-size-guard.js';

/** A fixed header with the MQTT variable-length encoding of `length`, then `length` body bytes. */
function packet(length: number): Buffer {
  const len: number[] = [];
  let n = length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), Buffer.alloc(length, 7)]);
}

async function feed(max: number, chunks: Buffer[]): Promise<{ passed: number; error?: string }> {
  const guard = new PacketSizeGuard(max);
  let passed = 0;
  guard.on('data', (c: Buffer) => (passed += c.length));
  const error = await new Promise<string | undefined>((resolve) => {
    guard.on('error', (e) => resolve(e.message));
    guard.on('finish', () => resolve(undefined));
    for (const c of chunks) guard.write(c);
    guard.end();
  });
  await new Promise((r) => setImmediate(r));
  return { passed, error };
}

describe('PacketSizeGuard', () => {
  it('passes packets under the limit, whole or cut at any byte', async () => {
    const stream = Buffer.concat([packet(0), packet(5), packet(200), packet(16_383), packet(16_384), packet(1000)]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      expect(await feed(20_000, chunks)).toEqual({ passed: stream.length, error: undefined });
    }
  });

  it('cuts a packet that declares more than the limit, before its body arrives', async () => {
    const header = packet(300_000).subarray(0, 4);
    const result = await feed(100_000, [packet(10), header]);
    expect(result.error).toMatch(/300000 bytes is over the 100000-byte limit/);
  });

  it('refuses a remaining length longer than four bytes', async () => {
    const result = await feed(1 << 30, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])]);
    expect(result.error).toMatch(/malformed/);
  });
});
