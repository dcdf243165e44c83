// The endpoint's one UDP socket, shared by the coap Server and Agent. The coap package keeps timers of its own
// that send on it (the piggyback timer of a response it never finished, retransmissions): after the socket is
// closed, dgram's send throws "Not running" synchronously inside such a timer, an uncaught exception that
// would end the agent during its shutdown. Here a send after close is dropped and logged instead.
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';

type Send = (...args: unknown[]) => void;

/** What the coap Server and Agent run on: a plain UDP socket (NoSec) or a DTLS session (dtls-port.ts). */
export interface DatagramPort {
  readonly socket: Socket;
  readonly port: number;
  /** Drops a security session the server may have lost (after it stopped answering); NoSec has none. */
  renew?(): void;
  stopReceiving(): void;
  close(): Promise<void>;
}

export class UdpPort implements DatagramPort {
  private closed = false;
  /** Sends dropped because the port was closed (tests and logs). */
  droppedAfterClose = 0;

  private constructor(
    readonly socket: Socket,
    private readonly log: Logger,
  ) {
    const send = socket.send.bind(socket) as Send;
    // dgram's send has many overloads; they are all passed through unchanged.
    (socket as unknown as { send: Send }).send = (...args: unknown[]) => {
      if (this.closed) {
        this.droppedAfterClose++;
        log.debug('late coap send after the socket closed; dropped');
        return;
      }
      try {
        send(...args);
      } catch (err) {
        log.warn({ err }, 'udp send failed');
      }
    };
    socket.on('error', (err) => log.warn({ err }, 'udp socket error'));
  }

  static async open(port: number, receiveBufferBytes: number, log: Logger): Promise<UdpPort> {
    const socket = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(receiveBufferBytes);
    } catch (err) {
      log.debug({ err }, 'could not enlarge the UDP receive buffer');
    }
    return new UdpPort(socket, log);
  }

  get port(): number {
    return this.closed ? 0 : this.socket.address().port;
  }

  /** No more datagrams reach the coap Server and Agent (first step of a close). */
  stopReceiving(): void {
    this.socket.removeAllListeners('message');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopReceiving();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
