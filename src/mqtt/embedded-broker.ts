// The embedded MQTT broker (aedes, MQTT 3.1.1). The agent talks to it in-process: no loopback client hop.
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerAccess } from './broker-access.js';
import { MAX_PACKET_BYTES } from './limits.js';
import { guardedConnection } from './packet-size-guard.js';
import type { MessageHandler, MqttTransport, PublishOptions } from './transport.js';

export interface EmbeddedBrokerOptions {
  /** The plain listener's address. */
  host: string;
  /** The TLS listener's address (defaults to `host`). */
  tlsHost?: string;
  port: number;
  tlsPort?: number;
  cert?: string;
  key?: string;
  access: BrokerAccess;
  log: Logger;
}

const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });

export class EmbeddedBroker {
  private constructor(
    private readonly aedes: Aedes,
    private readonly access: BrokerAccess,
    private readonly servers: Server[],
    readonly port: number,
    readonly tlsPort: number | undefined,
  ) {}

  static async start(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const aedes = await Aedes.createBroker();
    options.access.install(aedes);
    aedes.on('clientError', (client, err) => options.log.debug({ client: client.id, err: err.message }, 'mqtt client error'));
    const servers: Server[] = [];
    const refused = (reason: string): void => options.log.warn({ reason }, 'mqtt connection cut');
    try {
      // Replies can span several TCP segments; Nagle plus delayed ACKs would hold each one ~40 ms.
      const plain = createServer((socket) => {
        socket.setNoDelay(true);
        aedes.handle(guardedConnection(socket, MAX_PACKET_BYTES, refused));
      });
      servers.push(plain);
      const port = await listen(plain, options.port, options.host);
      let tlsPort: number | undefined;
      if (options.tlsPort !== undefined && options.cert && options.key) {
        const secure = createTlsServer({ cert: readFileSync(options.cert), key: readFileSync(options.key) }, (socket) => {
          socket.setNoDelay(true);
          aedes.handle(guardedConnection(socket, MAX_PACKET_BYTES, refused));
        });
        servers.push(secure);
        tlsPort = await listen(secure, options.tlsPort, options.tlsHost ?? options.host);
      }
      options.log.info({ host: options.host, port, tlsHost: options.tlsHost ?? options.host, tlsPort }, 'embedded MQTT broker listening');
      return new EmbeddedBroker(aedes, options.access, servers, port, tlsPort);
    } catch (err) {
      for (const s of servers) s.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      throw err;
    }
  }

  transport(): MqttTransport {
    const { aedes, access } = this;
    return {
      speaksV5: false,
      async subscribe(filters: string[], handler: MessageHandler) {
        for (const filter of filters) {
          await new Promise<void>((resolve) =>
            aedes.subscribe(
              filter,
              (packet: AedesPublishPacket, done: () => void) => {
                // Calling done only once the handler has taken the message makes aedes send
                // the publisher's PUBACK after that (the journal write, for a request).
                const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
                // aedes stamps the publisher's client id on what it delivers: the message's principal.
                const principal = access.principalOf((packet as AedesPublishPacket & { clientId?: string }).clientId);
                handler({ topic: packet.topic, payload, principal }).then(done, done);
              },
              () => resolve(),
            ),
          );
        }
      },
      publish(topic: string, payload: Buffer | string, options: PublishOptions = {}) {
        return new Promise<void>((resolve, reject) =>
          aedes.publish(
            {
              cmd: 'publish',
              topic,
              payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
              qos: options.qos ?? 1,
              retain: options.retain ?? false,
              dup: false,
            },
            (err?: Error) => (err ? reject(err) : resolve()),
          ),
        );
      },
      close: async () => {},
    };
  }

  async close(): Promise<void> {
    // Stop accepting first, then let aedes close its clients: a server's close callback waits for every socket.
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await Promise.all(closed);
  }
}
