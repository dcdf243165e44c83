// One UDP socket carrying both directions: the coap Server answers the LwM2M server's requests,
// a coap Agent on the same socket sends Register/Update/De-register (the server knows us by that port).
import type { Agent as CoapAgent, IncomingMessage, OutgoingMessage, Server as CoapServer } from 'coap';
import type { Logger } from 'pino';
import { requireCommonJs } from '../../commonjs.js';
import type { Clock } from '../../clock.js';
import { formatNumber } from '../content/content-formats.js';
import { parsePath } from '../content/node.js';
import type { Lwm2mParameters } from '../parameters.js';
import { queryPair, type DownlinkRequest, type DownlinkResponse, type Method } from './downlink.js';
import { boundExchangeState, refusalOf } from './exchange-bounds.js';
import { followUpBlockOf, takeNotificationFollowUps } from './block2.js';
import { answerBlock, ObserveChannel, type ObserveStream } from './observe-channel.js';
import { answerPlainReads } from './plain-reads.js';
import { gateSources, type SourceFilter } from './source-gate.js';
import type { DatagramPort } from './udp-port.js';

const { Agent, Server } = requireCommonJs('coap') as typeof import('coap');

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
  private port_?: DatagramPort;
  private server?: CoapServer;
  private closing = false;
  /** Responses handed to the receiver and not yet sent; bounded by the requests in progress. */
  private readonly unanswered = new Set<OutgoingMessage>();
  private agent?: CoapAgent;
  /** Uplink requests awaiting an answer, each with what ends it (abort, timer, reject); all ended on close. */
  private readonly inFlight = new Map<OutgoingMessage, (why: Error) => void>();

  constructor(
    private readonly options: {
      /** Opens the socket: UDP for NoSec, a DTLS session for PSK (chosen by the front). */
      openPort: () => Promise<DatagramPort>;
      params: Lwm2mParameters;
      clock: Clock;
      log: Logger;
      receiver: DownlinkReceiver;
      accepts: SourceFilter;
    },
  ) {}

  get port(): number {
    return this.port_?.port ?? 0;
  }

  async open(): Promise<void> {
    const { params, log } = this.options;
    const port = await this.options.openPort();
    this.port_ = port;
    // sendAcksForNonConfirmablePackets stays true: it is what makes the server answer a NON request at all
    // (with a NON response, RFC 7252 5.2.3); false would leave NON requests unanswered.
    const server = new Server({ piggybackReplyMs: params.piggybackReplyMs, sendAcksForNonConfirmablePackets: true });
    boundExchangeState(server, {
      entries: params.exchangeCacheEntries,
      bytes: params.exchangeCacheBytes,
      blockTransfers: params.blockTransfers,
      maxBody: params.maxPayloadBytes,
    });
    takeNotificationFollowUps(server, params.blockSize);
    answerPlainReads(server, {
      receive: (req) => this.options.receiver.receive(req),
      // The five-argument form: a DTLS port's socket stands in for dgram's with that one.
      send: (d, p, a) => port.socket.send(d, 0, d.length, p, a),
      blockSize: params.blockSize,
      open: () => !this.closing,
      keep: { entries: params.exchangeCacheEntries, ms: params.exchangeLifetimeMs },
      now: () => this.options.clock.now(),
      log,
    });
    gateSources(server, { accepts: this.options.accepts, send: (d, p, a) => port.socket.send(d, p, a), log, remembered: params.refusedPeersLogged });
    server.on('request', (req: IncomingMessage, res: OutgoingMessage) => this.onRequest(req, res));
    server.on('error', (err: Error) => log.warn({ err }, 'coap server error'));
    server.listen(port.socket);
    this.server = server;
    this.agent = new Agent({ socket: port.socket });
    this.agent.on('error', (err: Error) => log.warn({ err }, 'coap agent error'));
  }

  /** Order matters: nothing may send once the socket is closed, and no coap timer may outlive it. */
  async close(): Promise<void> {
    this.closing = true;
    // 1. No new datagram reaches the coap Server or Agent (a request after the Server's close would get
    //    a response bound to no socket).
    this.port_?.stopReceiving();
    // 2. The Server clears its response cache, which stops every retransmission it has running.
    this.server?.close();
    this.server = undefined;
    // 3. Uplink requests still waiting (a dead LwM2M server): their retransmission timers are stopped.
    for (const end of [...this.inFlight.values()]) end(new Error('endpoint closed'));
    // An Agent on a borrowed socket never reports 'close' (coap 1.5): close it without waiting.
    this.agent?.close();
    this.agent = undefined;
    // 4. Responses our handlers had not finished: their piggyback timers would send an empty ACK.
    for (const res of this.unanswered) if (res._ackTimer) clearTimeout(res._ackTimer);
    this.unanswered.clear();
    // 5. Whatever timer the coap package still has finds a closed port that drops its sends.
    await this.port_?.close();
    this.port_ = undefined;
  }

  /** The server stopped answering: a DTLS session it may have lost is dropped, the next request handshakes. */
  renewSession(): void {
    this.port_?.renew?.();
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
      const cancel = (): void => {
        cancelTimer();
        this.inFlight.delete(req);
      };
      // Gives up: the agent's retransmission timers are stopped with it.
      const end = (why: Error): void => {
        cancel();
        agent.abort(req);
        reject(why);
      };
      this.inFlight.set(req, end);
      const cancelTimer = this.options.clock.setTimeout(() => end(new UplinkTimeout(`no answer from ${up.host}:${up.port} within ${timeoutMs} ms`)), timeoutMs);
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
    const { params, log } = this.options;
    // A response the peer never acknowledges ends in an 'error' event after EXCHANGE_LIFETIME; unheard, it
    // would be an uncaught exception.
    res.on('error', (err: Error) => log.debug({ err: err.message }, 'coap response not delivered'));
    const down = this.toDownlink(req);
    const followUp = followUpBlockOf(req._packet);
    if (followUp) {
      down.block2 = followUp;
      down.observe = undefined;
    }
    const observeStream = down.observe === 0 ? (res as unknown as ObserveStream) : undefined;
    const channel = observeStream ? new ObserveChannel(observeStream, params.blockSize) : undefined;
    this.unanswered.add(res);
    const reply = (r: DownlinkResponse): void => {
      if (!this.unanswered.delete(res) || this.closing) return;
      if (followUp) answerBlock(res as unknown as ObserveStream, r, followUp);
      else if (channel) channel.first(r);
      else {
        res.code = r.code;
        if (r.format !== undefined) res.setOption('Content-Format', r.format);
        if (r.locationPath) res.setOption('Location-Path', r.locationPath.map((p) => Buffer.from(p)));
        res.end(r.payload);
      }
      r.afterSent?.();
    };
    const refusal = refusalOf(req._packet);
    if (refusal) {
      reply({ code: refusal.code, payload: Buffer.from(refusal.why) });
      return;
    }
    if (!down.path) {
      reply({ code: '4.04', payload: Buffer.from('not an LwM2M path') });
      return;
    }
    if (down.payload.length > params.maxPayloadBytes) {
      reply({ code: '4.13', payload: Buffer.from('payload too large') });
      return;
    }
    this.options.receiver
      .receive(down as DownlinkRequest, channel)
      .then(reply, (err: unknown) => {
        log.error({ err }, 'downlink handler failed');
        reply({ code: '5.00' });
      })
      .catch((err: unknown) => log.warn({ err }, 'could not send a coap response'));
  }

  private toDownlink(req: IncomingMessage): Omit<DownlinkRequest, 'path'> & { path: DownlinkRequest['path'] | undefined } {
    // The coap package joins the Uri-Path options into req.url (query after `?`): sliced, not parsed as a URL,
    // which was a measurable part of a read's time (bench/lwm2m-wire.js).
    const q = req.url.indexOf('?');
    const raw = q < 0 ? req.url : req.url.slice(0, q);
    const pathname = raw.includes('%') ? decodeURIComponent(raw) : raw;
    const option = (name: string): unknown => optionsOf(req).find((o) => o.name === name)?.value;
    const observe = option('Observe');
    const accept = option('Accept');
    const format = option('Content-Format');
    const bootstrapFinish = req.method === 'POST' && pathname === '/bs';
    return {
      method: req.method as Method,
      path: bootstrapFinish ? [] : parsePath(pathname),
      ...(bootstrapFinish ? { bootstrapFinish } : {}),
      query: optionsOf(req)
        .filter((o) => o.name === 'Uri-Query')
        .map((o) => queryPair(String(o.value))),
      accept: accept === undefined ? undefined : formatNumber(accept),
      contentFormat: format === undefined ? undefined : formatNumber(format),
      payload: req.payload ?? Buffer.alloc(0),
      observe: observe === undefined ? undefined : typeof observe === 'number' ? observe : formatNumber(observe),
      messageId: req._packet.messageId ?? 0,
      token: (req._packet.token ?? Buffer.alloc(0)).toString('hex'),
      source: { address: req.rsinfo.address, port: req.rsinfo.port },
    };
  }
}
