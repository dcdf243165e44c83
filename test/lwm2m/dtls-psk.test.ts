// Issue 12 item 1: DTLS 1.2 PSK against a real DTLS peer, libcoap's coap-rd-openssl (Debian libcoap3-bin,
// OpenSSL 3) with -k KEY -h HINT. Its own log (verbosity 9) proves the handshake, the cipher suite and the
// registration POST arriving over DTLS. A wrong key fails cleanly (logged once, retried), and after the
// peer restarts (losing every session) the client handshakes and registers again by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lwm2mClient } from '../../src/lwm2m/lwm2m-front.js';
import { freeUdpPort } from '../support/free-port.js';
import { waitFor } from '../support/wait-for.js';
import { clientFor, openAgentHarness, type AgentHarness } from './fixtures/agent-harness.js';

const RD = '/usr/bin/coap-rd-openssl';
const present = existsSync(RD);
if (!present && process.env.SMA_REQUIRE_PEERS === '1') throw new Error('coap-rd-openssl missing: apt-get install libcoap3-bin');
// libcoap takes -k as text, so the test key is printable; the agent is given its bytes as hex.
const KEY = Buffer.from('sma-psk-key-01').toString('hex');

class DtlsPeer {
  output = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.output += String(d)));
    child.stderr!.on('data', (d) => (this.output += String(d)));
  }
  /** CoAP on `port`, CoAPS (DTLS) on port + 1, with the identity hint "CoAP" (a ServerKeyExchange). */
  static start(port: number, keyBytes: Buffer): DtlsPeer {
    return new DtlsPeer(spawn(RD, ['-A', '127.0.0.1', '-p', String(port), '-k', keyBytes.toString('ascii'), '-h', 'CoAP', '-v', '9'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }
  count(re: RegExp): number {
    return this.output.split('\n').filter((l) => re.test(l)).length;
  }
  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    // libcoap's loop may not wake for a signal while it waits on a DTLS retransmission: then SIGKILL.
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Log lines of one client, kept for assertions. */
function capture(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

describe.skipIf(!present)('LwM2M over DTLS with a pre-shared key (coap-rd-openssl)', () => {
  let agent: AgentHarness;
  let peer: DtlsPeer;
  let plainPort: number;
  const clients: Lwm2mClient[] = [];
  // Both ports must be free: libcoap listens on the given one and the next.
  const twoFreePorts = async (): Promise<number> => {
    for (;;) {
      const p = await freeUdpPort();
      if (p < 65535 && (await freeUdpPort().then((q) => q !== p + 1))) return p;
    }
  };

  beforeAll(async () => {
    agent = await openAgentHarness();
    plainPort = await twoFreePorts();
    peer = DtlsPeer.start(plainPort, Buffer.from(KEY, 'hex'));
  });
  afterAll(async () => {
    for (const c of clients) await c.stop();
    await peer?.stop();
    await agent?.close();
  });

  it('handshakes with TLS_PSK_WITH_AES_128_CCM_8 and registers by a POST over DTLS; the key is never logged', async () => {
    const { log, lines } = capture();
    const client = clientFor(agent, { serverPort: plainPort + 1, endpoint: 'gw-dtls', acceptFrom: 'server', psk: { identity: 'gw-dtls', key: KEY }, log });
    clients.push(client);
    await client.start();
    await waitFor('registered over DTLS', () => client.registrationState === 'registered', 15_000);
    expect(peer.output).toMatch(/got psk_identity: 'gw-dtls'/);
    expect(peer.output).toMatch(/DTLS: Using cipher: PSK-AES128-CCM8/);
    expect(peer.output).toMatch(/c:POST .*Uri-Path:rd.*Uri-Query:ep=gw-dtls/);
    expect(lines.find((l) => l.msg === 'DTLS session established')?.cipherSuite).toBe('TLS_PSK_WITH_AES_128_CCM_8');
    const all = JSON.stringify(lines);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(Buffer.from(KEY, 'hex').toString('base64'));
  });

  it('with a wrong key stays up, logs the failure once with its reason and keeps retrying', async () => {
    const { log, lines } = capture();
    const client = clientFor(agent, {
      serverPort: plainPort + 1,
      endpoint: 'gw-wrong',
      acceptFrom: 'server',
      psk: { identity: 'gw-wrong', key: 'deadbeefdeadbeef' },
      log,
      parameters: { registrationAttemptMs: 1_500, retryMinMs: 200 },
    });
    await client.start();
    const before = peer.count(/got psk_identity: 'gw-wrong'/);
    await waitFor('three handshake attempts', () => peer.count(/got psk_identity: 'gw-wrong'/) >= before + 3, 20_000);
    expect(client.registrationState).not.toBe('registered');
    const failures = lines.filter((l) => l.msg === 'DTLS handshake failed; retrying with the registration back-off');
    expect(failures).toHaveLength(1);
    expect(String(failures[0]!.why)).toMatch(/timed out|alert|handshake/i);
    expect(JSON.stringify(lines)).not.toContain('deadbeefdeadbeef');
    await client.stop();
  });

  it('handshakes and registers again by itself after the peer restarts', async () => {
    const client = clientFor(agent, {
      serverPort: plainPort + 1,
      endpoint: 'gw-restart',
      acceptFrom: 'server',
      psk: { identity: 'gw-restart', key: KEY },
      lifetimeS: 10,
      parameters: { registrationAttemptMs: 2_000, retryMinMs: 200 },
    });
    clients.push(client);
    await client.start();
    await waitFor('registered', () => client.registrationState === 'registered', 15_000);
    await peer.stop();
    peer = DtlsPeer.start(plainPort, Buffer.from(KEY, 'hex'));
    // The Update (at lifetime/2) finds no session on the new peer, gets no answer, and the client starts over.
    await waitFor('registered with the restarted peer', () => /c:POST .*Uri-Query:ep=gw-restart/.test(peer.output) && client.registrationState === 'registered', 25_000);
    expect(peer.count(/got psk_identity: 'gw-restart'/)).toBeGreaterThanOrEqual(1);
  });
});
