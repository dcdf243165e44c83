// The MQTT front: topics in -> inbox / engines; events out -> topics. It translates and holds no rule.
import type { Logger } from 'pino';
import type { EventBus, ServiceEvent, SmaEvent, TrustEvent } from '../events.js';
import { alertEventBody, logEventBody } from './watch-events.js';
import type { Command, Intake, Reply } from '../inbox/command.js';
import type { TrustInput } from '../trust/trust-query.js';
import { RequestHandler } from './request-handler.js';
import { Topics } from './topics.js';
import type { InboundMessage, MqttTransport } from './transport.js';
import { PluginMessages } from './plugin-messages.js';
import type { AuthorizationPolicy, MessageKind } from '../policy/authorization.js';
import { ReplyRouting } from '../policy/reply-routing.js';
import type { Principal } from '../policy/principal.js';
import { LogThrottle } from '../log-throttle.js';

export interface MqttFrontOptions {
  transport: MqttTransport;
  topicRoot: string;
  intake: Intake;
  policy: AuthorizationPolicy;
  /** The broker's ACL when the agent knows it (embedded broker): replies go only where the requester may read. */
  mayRead?: (principal: Principal, topic: string) => boolean;
  events: EventBus;
  /** Service heartbeats go to the supervisor. */
  serviceBeat: (name: string, at: number) => void;
  trust: TrustInput;
  formatTrustEvent: (event: TrustEvent) => unknown;
  /** Told of each event the broker acknowledged (the trust outbox then lets it go). */
  published?: (event: SmaEvent) => void;
  now: () => number;
  version: string;
  log: Logger;
}

const RETAIN_IGNORED = new Set(['request', 'service-heartbeat', 'device-heartbeat']);

export class MqttFront {
  readonly topics: Topics;
  private readonly requests: RequestHandler;
  private readonly plugins: PluginMessages;
  private readonly forbidden: LogThrottle;
  private unsubscribeEvents?: () => void;
  /** Topic kinds a retained message was seen on: each is logged once. */
  private readonly retainedSeen = new Set<string>();

  constructor(private readonly o: MqttFrontOptions) {
    this.topics = new Topics(o.topicRoot);
    const routing = new ReplyRouting({ root: o.topicRoot, mayRead: o.mayRead });
    this.requests = new RequestHandler(o.intake, o.transport, routing, o.log, o.now);
    this.plugins = new PluginMessages(o.trust, o.now, o.log);
    this.forbidden = new LogThrottle(o.log, o.now);
  }

  async start(): Promise<void> {
    this.unsubscribeEvents = this.o.events.on((event) => this.publishEvent(event));
    await this.o.transport.subscribe(this.topics.subscriptions, (m) => this.route(m));
    await this.publishStatus('ONLINE');
    // The broker fires our will (OFFLINE) when the connection drops; say ONLINE again once it is back.
    this.o.transport.onReconnect?.(() => {
      this.publishStatus('ONLINE').catch((err) => this.o.log.warn({ err }, 'status not published'));
    });
  }

  /** Stops taking messages' effects out: publishes OFFLINE; the transport is closed by its owner. */
  async stop(): Promise<void> {
    this.unsubscribeEvents?.();
    await this.publishStatus('OFFLINE').catch(() => {});
  }

  sendRecovered(command: Command, reply: Reply): Promise<boolean> {
    return this.requests.sendRecovered(command, reply);
  }

  private async route(message: InboundMessage): Promise<void> {
    const topic = this.topics.parse(message.topic);
    // A retained request would run again for every new subscriber; a retained heartbeat is a phantom beat.
    if (message.retain && RETAIN_IGNORED.has(topic.kind)) return this.ignoreRetained(topic.kind, message.topic);
    switch (topic.kind) {
      case 'request':
        return this.requests.handle(topic.op, message);
      case 'service-heartbeat':
        if (this.allowed(message, 'service-heartbeat', topic.name)) this.o.serviceBeat(topic.name, this.o.now());
        return;
      case 'device-heartbeat':
        if (this.allowed(message, 'device-heartbeat', topic.deviceId)) this.plugins.deviceBeat(topic.deviceId, message.payload);
        return;
      case 'plugin-devices':
        if (this.allowed(message, 'plugin-devices', topic.plugin)) this.plugins.deviceSet(topic.plugin, message.payload);
        return;
      case 'plugin-trust':
        if (this.allowed(message, 'plugin-trust', topic.plugin)) this.plugins.trustReport(topic.plugin, message.payload);
        return;
      default:
        return;
    }
  }

  /** The policy's word on a message that is not a command; a refused one is dropped (there is no one to answer). */
  private allowed(message: InboundMessage, kind: MessageKind, subject: string): boolean {
    const p = message.principal;
    if (p && this.o.policy.mayPost(p, kind, subject)) return true;
    this.forbidden.warn({ kind, subject: subject.slice(0, 128), username: p?.username.slice(0, 128) }, 'mqtt message forbidden');
    return false;
  }

  private ignoreRetained(kind: string, topic: string): void {
    if (this.retainedSeen.has(kind)) return;
    this.retainedSeen.add(kind);
    this.o.log.warn({ topic: topic.slice(0, 256), kind }, 'retained message ignored (further ones on such topics are ignored silently)');
  }

  private publishStatus(state: 'ONLINE' | 'OFFLINE'): Promise<void> {
    const body = { state, since: new Date(this.o.now()).toISOString(), version: this.o.version };
    return this.o.transport.publish(this.topics.status, JSON.stringify(body), { qos: 1, retain: true });
  }

  private publishEvent(event: SmaEvent): void {
    const out = this.format(event);
    if (!out) return;
    this.o.transport
      .publish(out.topic, JSON.stringify(out.body), { qos: 1 })
      .then(() => this.o.published?.(event))
      .catch((err) => this.o.log.warn({ err, topic: out.topic }, 'event not published'));
  }

  private format(event: SmaEvent): { topic: string; body: unknown } | undefined {
    switch (event.kind) {
      case 'service':
        return { topic: this.topics.serviceEvent(event.name), body: serviceEventBody(event) };
      case 'trust':
        return { topic: this.topics.trustEvent(event.deviceId), body: this.o.formatTrustEvent(event) };
      case 'plugin-reregister':
        return { topic: this.topics.reregister(event.plugin), body: {} };
      case 'agent':
        return { topic: this.topics.agentEvent(), body: { type: event.type, detail: event.detail, at: new Date(event.at).toISOString() } };
      case 'log':
        return { topic: this.topics.logEvent(event.name), body: logEventBody(event) };
      case 'alert':
        return { topic: this.topics.alertEvent(event.rule, event.name), body: alertEventBody(event) };
      case 'deploy': {
        const { kind: _kind, at, ...rest } = event;
        return { topic: this.topics.deployEvent(event.name), body: { type: 'DEPLOY', ...rest, at: new Date(at).toISOString() } };
      }
    }
  }
}

function serviceEventBody(e: ServiceEvent): Record<string, unknown> {
  const body: Record<string, unknown> = { type: e.type, name: e.name };
  if (e.from !== undefined) body.from = e.from;
  if (e.to !== undefined) body.to = e.to;
  if (e.attempt !== undefined) body.attempt = e.attempt;
  if (e.nextAttemptAt !== undefined) body.nextAttemptAt = new Date(e.nextAttemptAt).toISOString();
  if (e.exitCode !== undefined) body.exitCode = e.exitCode;
  if (e.exitSignal !== undefined) body.exitSignal = e.exitSignal;
  body.at = new Date(e.at).toISOString();
  return body;
}
