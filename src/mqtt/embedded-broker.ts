// The embedded MQTT broker (aedes, MQTT 3.1.1). The agent talks to it in-process: no loopback client hop.
// aedes 1.2 writes a QoS 1 PUBACK before it hands the message to any subscriber (lib/handlers/publish.js),
// so the agent's own subscriptions are not aedes subscriptions: a client's publish is delivered to them from
// the authorizePublish hook, which aedes awaits before the PUBACK. Why this and not a patch: README.
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerAccess } from './broker-access.js';
import type { Principal } from '../policy/principal.js';
import { MAX_PACKET_BYTES } from './limits.js';
import { guardedConnection } from './packet-size-guard.js';
import { matchesFilter } from './topic-rules.js';
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

/** The agent's in-process subscriptions, fed before the publisher is acknowledged. */
class LocalSubscriptions {
  private readonly subs: Array<{ filter: string; handler: MessageHandler }> = [];

  add(filters: string[], handler: MessageHandler): void {
    for (const filter of filters) this.subs.push({ filter, handler });
  }

  /** Resolves once every matching handler has taken the message; a failing handler does not stop the rest. */
  async deliver(packet: Pick<PublishPacket, 'topic' | 'payload' | 'retain'> & { dup?: boolean }, principal?: Principal): Promise<void> {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    for (const { filter, handler } of this.subs) {
      if (matchesFilter(filter, packet.topic)) await handler({ topic: packet.topic, payload, retain: packet.retain, dup: packet.dup, principal }).catch(() => undefined);
    }
  }

  /**
   * Wraps aedes' authorizePublish (the access rules, when installed): once a client's publish is allowed, our
   * handlers take it, and only then does aedes go on to the PUBACK and the other subscribers.
   */
  installOn(aedes: Aedes, access: BrokerAccess): void {
    const authorize = aedes.authorizePublish.bind(aedes);
    aedes.authorizePublish = (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void) =>
      authorize(client, packet, (err?: Error | null) => {
        if (err) return done(err);
        // The publisher's principal; the agent's own in-process publishes (no client) speak for nobody.
        this.deliver(packet, client ? access.principalOf(client.id) : undefined).then(() => done(null));
      });
  }
}

export class EmbeddedBroker {
  private readonly local = new LocalSubscriptions();

  private constructor(
    private readonly aedes: Aedes,
    private readonly access: BrokerAccess,
    private readonly servers: Server[],
    readonly port: number,
    readonly tlsPort: number | undefined,
  ) {
    this.local.installOn(aedes, access);
  }

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
        // node:tls only when a TLS listener is configured: a few MB of idle RSS otherwise (BENCHMARKS.md).
        const { createServer: createTlsServer } = await import('node:tls');
        const secure = createTlsServer({ cert: readFileSync(options.cert), key: readFileSync(options.key) }, (socket) => {
          socket.setNoDelay(true);
          aedes.handle(guardedConnection(socket, MAX_PACKET_BYTES, refused));
        });
        servers.push(secure);
        tlsPort = await listen(secure, options.tlsPort, options.tlsHost ?? options.host);
      }
      // The TLS listener's address only when there is one: a tlsHost beside TLS off reads as if TLS were on.
      options.log.info({ host: options.host, port, ...(tlsPort === undefined ? {} : { tlsHost: options.tlsHost ?? options.host, tlsPort }) }, 'embedded MQTT broker listening');
      return new EmbeddedBroker(aedes, options.access, servers, port, tlsPort);
    } catch (err) {
      for (const s of servers) s.close();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      throw err;
    }
  }

  transport(): MqttTransport {
    const { aedes, local } = this;
    return {
      speaksV5: false,
      async subscribe(filters: string[], handler: MessageHandler) {
        local.add(filters, handler);
      },
      async publish(topic: string, payload: Buffer | string, options: PublishOptions = {}) {
        const packet: PublishPacket = {
          cmd: 'publish',
          topic,
          payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
          qos: options.qos ?? 1,
          retain: options.retain ?? false,
          dup: false,
        };
        // In-process publishes skip authorizePublish, so in-process subscribers are fed here.
        await local.deliver(packet);
        await new Promise<void>((resolve, reject) => aedes.publish(packet, (err?: Error) => (err ? reject(err) : resolve())));
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
