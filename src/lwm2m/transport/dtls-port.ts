// DTLS 1.2 with a pre-shared key (LwM2M's mandatory TLS_PSK_WITH_AES_128_CCM_8) under the coap package.
// node-dtls-client 1.x is the DTLS client: pure TypeScript over node:crypto (no native addon to build
// for ARM), PSK with CCM_8, Node >= 12 (2.x needs Node 22). Its session is handed to the coap Server and
// Agent as a datagram socket: an unbound dgram.Socket whose `send` encrypts into the session and on which
// the session's plaintext is emitted as 'message' from the server's address. So no plaintext port is
// open at all, and the coap package (which checks `instanceof dgram.Socket` before answering duplicates
// from its cache) works unchanged. The key is kept in this closure only: never logged, never readable.
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { dtls as DtlsNamespace } from 'node-dtls-client';
import { requireCommonJs } from '../../commonjs.js';
import type { DatagramPort } from './udp-port.js';

const { dtls } = requireCommonJs('node-dtls-client') as { dtls: typeof DtlsNamespace };
// node-dtls-client 1.1.1 parses a ServerKeyExchange (a PSK identity hint, which libcoap, tinydtls and many
// servers send) in its handshake handler but never registered the message type, so it threw "unsupported
// message type 12" from its socket handler. The registration it lacks:
const handshake = requireCommonJs('node-dtls-client/build/DTLS/Handshake.js') as {
  HandshakeMessages: Record<number, unknown>;
  HandshakeType: { server_key_exchange: number };
  ServerKeyExchange: unknown;
};
handshake.HandshakeMessages[handshake.HandshakeType.server_key_exchange] ??= handshake.ServerKeyExchange;

export interface PskCredentials {
  identity: string;
  key: Buffer;
}

/** The cipher suites offered: CCM_8 only, the one LwM2M mandates and the only one tinydtls has. */
export const PSK_CIPHERS = ['TLS_PSK_WITH_AES_128_CCM_8'] as const;

const MAX_WAITING = 8;

type Send = (msg: Buffer, offset: number, length: number, port: number, address: string, cb?: (err: Error | null, bytes?: number) => void) => void;

export class DtlsPort implements DatagramPort {
  readonly socket: Socket;
  private session?: DtlsNamespace.Socket;
  private closed = false;
  /** A failing handshake is logged once (with its reason) until one succeeds. */
  private failing = false;
  /** Sessions established since start (tests and logs). */
  handshakes = 0;
  cipherSuite?: string;

  constructor(
    private readonly server: { host: string; port: number },
    credentials: PskCredentials,
    private readonly log: Logger,
    private readonly handshakeTimeoutMs: number,
    /** `lwm2m.localPort`: 0 lets each session's socket take a free port. */
    private readonly localPort = 0,
  ) {
    const psk = { [credentials.identity]: credentials.key.toString('latin1') };
    const listenPort = localPort > 0 ? { listenPort: localPort } : {};
    this.open = () =>
      dtls.createSocket({ type: 'udp4', address: server.host, port: server.port, psk, timeout: handshakeTimeoutMs, ciphers: [...PSK_CIPHERS], ...listenPort });
    const socket = createSocket('udp4');
    this.socket = socket;
    // The coap Agent asks for the local address of the socket it reads from; this one is never bound.
    (socket as unknown as { address: () => { address: string; family: string; port: number } }).address = () => ({ address: '0.0.0.0', family: 'IPv4', port: 0 });
    (socket as unknown as { send: Send }).send = (msg, offset, length, _port, _address, cb) => {
      if (this.closed) return cb?.(null, 0);
      const data = Buffer.from(msg.subarray(offset, offset + length));
      const session = this.current();
      // Until the handshake is done, datagrams wait (a few: the coap package retransmits anyway).
      if (!this.connected) {
        if (this.waiting.length < MAX_WAITING) this.waiting.push(data);
        return cb?.(null, length);
      }
      session.send(data, (err) => cb?.(err ?? null, length));
    };
  }

  private readonly open: () => DtlsNamespace.Socket;
  private connected = false;
  private waiting: Buffer[] = [];

  /** The configured local port (a session's own socket is bound to it); 0 when each takes a free one. */
  get port(): number {
    return this.localPort;
  }

  /** The session, started on the first datagram after none was up (sends wait for its handshake). */
  private current(): DtlsNamespace.Socket {
    if (this.session) return this.session;
    const session = this.open();
    this.session = session;
    this.connected = false;
    const forget = (): void => {
      if (this.session !== session) return;
      this.session = undefined;
      this.connected = false;
      this.waiting = [];
    };
    session.on('connected', () => {
      if (this.session !== session) return;
      this.connected = true;
      for (const data of this.waiting.splice(0)) session.send(data);
      this.handshakes++;
      this.cipherSuite = PSK_CIPHERS[0];
      this.log.info({ server: `${this.server.host}:${this.server.port}`, cipherSuite: this.cipherSuite, resumedAfterFailure: this.failing }, 'DTLS session established');
      this.failing = false;
    });
    session.on('message', (msg: Buffer) => {
      if (this.session !== session || this.closed) return;
      this.socket.emit('message', msg, { address: this.server.host, family: 'IPv4', port: this.server.port, size: msg.length });
    });
    session.on('error', (err: Error) => {
      const handshaking = this.session === session && !this.connected;
      forget();
      if (handshaking) this.failed(err.message);
      else this.log.info({ why: err.message }, 'DTLS session ended');
    });
    session.on('close', forget);
    return session;
  }

  /** Logged once per outage, with its reason; later failures go to debug. */
  private failed(why: string): void {
    // A wrong key looks like a time-out: tinydtls and OpenSSL drop a Finished they cannot verify.
    if (!this.failing) this.log.warn({ server: `${this.server.host}:${this.server.port}`, why }, 'DTLS handshake failed; retrying with the registration back-off');
    else this.log.debug({ why }, 'DTLS handshake failed again');
    this.failing = true;
  }

  /** Drops the session (the server restarted and forgot it): the next datagram handshakes afresh. */
  renew(): void {
    const session = this.session;
    if (session && !this.connected) this.failed(`no handshake within ${this.handshakeTimeoutMs} ms (a wrong key shows as this: the peer drops the Finished silently)`);
    this.session = undefined;
    this.connected = false;
    this.waiting = [];
    if (session) closeQuietly(session);
  }

  stopReceiving(): void {
    this.socket.removeAllListeners('message');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopReceiving();
    this.renew();
    this.socket.close();
  }
}

function closeQuietly(session: DtlsNamespace.Socket): void {
  try {
    session.close();
  } catch {
    /* already closed */
  }
}
