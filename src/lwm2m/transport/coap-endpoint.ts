// One UDP socket carrying both directions: the coap Server answers the LwM2M server's requests,
// a coap Agent on the same socket sends Register/Update/De-register (the server knows us by that port).
import { createSocket, type Socket } from 'node:dgram';
import { Agent, Server, type IncomingMessage, type OutgoingMessage } from 'coap';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { formatNumber } from '../content/content-formats.js';
import { parsePath } from '../content/node.js';
import type { Lwm2mParameters } from '../parameters.js';
import type { DownlinkRequest, DownlinkResponse, Method } from './downlink.js';
import { ObserveChannel, type ObserveStream } from './observe-channel.js';

export interface UplinkRequest {
  method: 'POST' | 'PUT' | 'DELETE' | 'GET';
  host: string;
  port: number;
  pathname: string;
  query?: string;
  payload?: Buffer;
  format?: number;
  /** Overrides the parameters' requestTimeoutMs. */
  timeoutMs?: number;
}

export interface UplinkResponse {
  code: string;
  locationPath: string[];
  payload: Buffer;
}

export class UplinkTimeout extends Error {}

type RawOption = { name: string | number; value: unknown };
/** The message's options, values already converted by the coap package where it knows the option. */
const optionsOf = (msg: IncomingMessage): RawOption[] => (msg._packet.options ?? []) as RawOption[];

/** What the endpoint asks of the client for each inbound request. */
export interface DownlinkReceiver {
  receive(req: DownlinkRequest, observe?: ObserveChannel): Promise<DownlinkResponse>;
}

export class CoapEndpoint {
  private socket?: Socket;
  private server?: Server;
  private agent?: Agent;
  /** Uplink requests awaiting an answer, aborted on close so no retransmission hits a closed socket. */
  private readonly inFlight = new Set<OutgoingMessage>();

  constructor(
    private readonly options: { localPort: number; params: Lwm2mParameters; clock: Clock; log: Logger; receiver: DownlinkReceiver },
  ) {}

  get port(): number {
    return (this.socket?.address().port as number | undefined) ?? 0;
  }

  async open(): Promise<void> {
    const socket = createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.localPort, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => this.options.log.warn({ err }, 'udp socket error'));
    try {
      socket.setRecvBufferSize(this.options.params.socketReceiveBufferBytes);
    } catch (err) {
      this.options.log.debug({ err }, 'could not enlarge the UDP receive buffer');
    }
    this.socket = socket;
    this.server = new Server({ piggybackReplyMs: this.options.params.piggybackReplyMs });
    this.server.on('request', (req: IncomingMessage, res: OutgoingMessage) => this.onRequest(req, res));
    this.server.on('error', (err: Error) => this.options.log.warn({ err }, 'coap server error'));
    this.server.listen(socket);
    this.agent = new Agent({ socket });
  }

  async close(): Promise<void> {
    this.server?.close();
    for (const req of this.inFlight) this.agent?.abort(req);
    this.inFlight.clear();
    // An Agent on a borrowed socket never reports 'close' (coap 1.5): close it without waiting.
    this.agent?.close();
    this.agent = undefined;
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
    this.socket = undefined;
  }

  request(up: UplinkRequest): Promise<UplinkResponse> {
    const agent = this.agent;
    if (!agent) return Promise.reject(new Error('endpoint is closed'));
    return new Promise((resolve, reject) => {
      const req = agent.request({ host: up.host, port: up.port, method: up.method, pathname: up.pathname, query: up.query, confirmable: true });
      if (up.format !== undefined) req.setOption('Content-Format', up.format);
      // Larger than one block: Block1 with SZX 6 (1024 bytes); the agent sends the blocks itself.
      if (up.payload && up.payload.length > this.options.params.blockSize) req.setOption('Block1', Buffer.of(6));
      const timeoutMs = up.timeoutMs ?? this.options.params.requestTimeoutMs;
      this.inFlight.add(req);
      const cancelTimer = this.options.clock.setTimeout(() => {
        agent.abort(req);
        this.inFlight.delete(req);
        reject(new UplinkTimeout(`no answer from ${up.host}:${up.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cancel = (): void => {
        cancelTimer();
        this.inFlight.delete(req);
      };
      req.on('response', (res: IncomingMessage) => {
        cancel();
        const locationPath = optionsOf(res).filter((o) => o.name === 'Location-Path').flatMap((o) => String(o.value).split('/')).filter((s) => s !== '');
        resolve({ code: res.code, locationPath, payload: res.payload ?? Buffer.alloc(0) });
      });
      req.on('error', (err: Error) => {
        cancel();
        reject(err);
      });
      req.on('timeout', () => {
        cancel();
        reject(new UplinkTimeout(`no answer from ${up.host}:${up.port}`));
      });
      req.end(up.payload);
    });
  }

  private onRequest(req: IncomingMessage, res: OutgoingMessage): void {
    const down = this.toDownlink(req);
    const observeStream = down.observe === 0 ? (res as unknown as ObserveStream) : undefined;
    const channel = observeStream ? new ObserveChannel(observeStream, this.options.params.blockSize) : undefined;
    const reply = (r: DownlinkResponse): void => {
      if (channel) channel.first(r);
      else {
        res.code = r.code;
        if (r.format !== undefined) res.setOption('Content-Format', r.format);
        if (r.locationPath) res.setOption('Location-Path', r.locationPath.map((p) => Buffer.from(p)));
        res.end(r.payload);
      }
      r.afterSent?.();
    };
    if (!down.path) {
      reply({ code: '4.04', payload: Buffer.from('not an LwM2M path') });
      return;
    }
    if (down.payload.length > this.options.params.maxPayloadBytes) {
      reply({ code: '4.13', payload: Buffer.from('payload too large') });
      return;
    }
    this.options.receiver
      .receive(down as DownlinkRequest, channel)
      .then(reply)
      .catch((err: unknown) => {
        this.options.log.error({ err }, 'downlink handler failed');
        reply({ code: '5.00' });
      });
  }

  private toDownlink(req: IncomingMessage): Omit<DownlinkRequest, 'path'> & { path: DownlinkRequest['path'] | undefined } {
    const url = new URL(req.url, 'coap://x');
    const option = (name: string): unknown => optionsOf(req).find((o) => o.name === name)?.value;
    const observe = option('Observe');
    const accept = option('Accept');
    const format = option('Content-Format');
    return {
      method: req.method as Method,
      path: parsePath(decodeURIComponent(url.pathname)),
      query: optionsOf(req)
        .filter((o) => o.name === 'Uri-Query')
        .map((o) => {
          const s = String(o.value);
          const eq = s.indexOf('=');
          return eq < 0 ? ([s, undefined] as [string, undefined]) : ([s.slice(0, eq), s.slice(eq + 1)] as [string, string]);
        }),
      accept: accept === undefined ? undefined : formatNumber(accept),
      contentFormat: format === undefined ? undefined : formatNumber(format),
      payload: req.payload ?? Buffer.alloc(0),
      observe: observe === undefined ? undefined : typeof observe === 'number' ? observe : formatNumber(observe),
      token: (req._packet.token ?? Buffer.alloc(0)).toString('hex'),
      source: { address: req.rsinfo.address, port: req.rsinfo.port },
    };
  }
}
