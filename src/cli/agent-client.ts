// Request/response with a running agent over MQTT 3.1.1 (CONTRACT section 5): the correlation id and
// reply topic travel in the body; the answer comes on `R/response/{correlationId}`.
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { defaultAgentId } from '../config/agent-id.js';
import { agentStatus, DISCOVERY, NAMED_AGENT_WINDOW_MS, onlineAgents, STATUS_FILTER, type DiscoveryTimings } from './agent-discovery.js';
import { connectBroker } from './broker-connection.js';
import type { ClientOptions } from './client-options.js';
import { CliError, usageError } from './io.js';

export type AgentReply =
  | { correlationId: string; ok: true; result: unknown }
  | { correlationId: string; ok: false; error: { code: string; message: string } };

export class AgentClient {
  private constructor(
    private readonly mqtt: MqttClient,
    /** `R` of the agent's topics. */
    readonly topicRoot: string,
    /** How messages name the agent: its id, or the topic root when only that is known. */
    readonly label: string,
    private readonly timeoutMs: number,
    readonly brokerUrl: string,
  ) {}

  /** Connects and settles which agent to ask (discovering the one ONLINE agent when none is named). */
  static async open(options: ClientOptions, timings: DiscoveryTimings = DISCOVERY): Promise<AgentClient> {
    const mqtt = await connectBroker(options);
    try {
      const named = options.topicRoot !== undefined || options.agentId !== undefined;
      const agentId = named ? options.agentId : await pickAgent(mqtt, options, timings);
      const topicRoot = options.topicRoot ?? `sma/${agentId}`;
      const label = agentId ?? topicRoot;
      // A named agent that is not ONLINE is said so at once, not after the full --timeout.
      if (named) await confirmOnline(mqtt, `${topicRoot}/status`, label, options.brokerUrl);
      return new AgentClient(mqtt, topicRoot, label, options.timeoutMs, options.brokerUrl);
    } catch (err) {
      await mqtt.endAsync(true);
      throw err;
    }
  }

  /** Sends one request and waits for its answer; rejects with a CliError on timeout or a lost link. */
  async request(op: string, body: Record<string, unknown>): Promise<AgentReply> {
    const correlationId = randomUUID();
    const replyTo = `${this.topicRoot}/response/${correlationId}`;
    let onMessage: (topic: string, payload: Buffer) => void = () => undefined;
    let onClose: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<AgentReply>((resolve, reject) => {
      onMessage = (topic, payload) => {
        if (topic !== replyTo) return;
        const reply = parseReply(payload);
        if (!reply) reject(new CliError(`agent ${this.label} sent an answer that is not {correlationId, ok, result|error}`));
        else if (reply.correlationId === correlationId) resolve(reply);
      };
      onClose = () => reject(new CliError(`lost the connection to broker ${this.brokerUrl} while waiting for agent ${this.label}`));
      timer = setTimeout(() => reject(new CliError(`no answer from agent ${this.label} within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    this.mqtt.on('message', onMessage);
    this.mqtt.on('close', onClose);
    try {
      const sent = this.send(op, replyTo, { ...body, correlationId, replyTo });
      // Whichever comes first: a failure to send, the answer, a timeout or a lost link.
      return await Promise.race([sent.then(() => answer), answer]);
    } finally {
      clearTimeout(timer);
      this.mqtt.off('message', onMessage);
      this.mqtt.off('close', onClose);
      // A disconnected client would queue the UNSUBSCRIBE and never settle.
      if (this.mqtt.connected) await this.mqtt.unsubscribeAsync(replyTo).catch(() => undefined);
    }
  }

  private async send(op: string, replyTo: string, body: Record<string, unknown>): Promise<void> {
    try {
      await this.mqtt.subscribeAsync(replyTo, { qos: 1 });
    } catch (err) {
      throw new CliError(`broker ${this.brokerUrl} refused the subscription to ${replyTo}: ${(err as Error).message}`);
    }
    try {
      // QoS 1: the agent acknowledges once the command is journaled.
      await this.mqtt.publishAsync(`${this.topicRoot}/request/${op}`, JSON.stringify(body), { qos: 1 });
    } catch (err) {
      throw new CliError(`could not send ${op} to agent ${this.label}: ${(err as Error).message}`);
    }
  }

  /** Subscribes to one event topic of the agent; `onMessage` gets each payload until the client closes. */
  async follow(topic: string, onMessage: (payload: Buffer) => void): Promise<void> {
    const full = `${this.topicRoot}/${topic}`;
    this.mqtt.on('message', (t, payload) => {
      if (t === full) onMessage(payload);
    });
    try {
      await this.mqtt.subscribeAsync(full, { qos: 1 });
    } catch (err) {
      throw new CliError(`broker ${this.brokerUrl} refused the subscription to ${full}: ${(err as Error).message}`);
    }
  }

  /** Resolves when the link to the broker is lost (a follow then ends with an error). */
  closed(): Promise<void> {
    return new Promise((resolve) => this.mqtt.once('close', () => resolve()));
  }

  async close(): Promise<void> {
    await this.mqtt.endAsync(!this.mqtt.connected);
  }
}

async function pickAgent(mqtt: MqttClient, options: ClientOptions, timings: DiscoveryTimings): Promise<string> {
  const ids = await onlineAgents(mqtt, timings, defaultAgentId());
  if (ids.length === 1) return ids[0];
  if (ids.length === 0) throw new CliError(`no ONLINE agent under ${STATUS_FILTER} on ${options.brokerUrl}; is one running? (or pass --agent ID)`);
  throw usageError(`several agents are ONLINE (${ids.join(', ')}): choose one with --agent ID`);
}

async function confirmOnline(mqtt: MqttClient, topic: string, label: string, brokerUrl: string): Promise<void> {
  const status = await agentStatus(mqtt, topic, NAMED_AGENT_WINDOW_MS);
  if (status.state === 'ONLINE') return;
  if (status.state === 'OFFLINE') throw new CliError(`agent ${label} is OFFLINE${status.since ? ` since ${status.since}` : ''} (${topic} on ${brokerUrl})`);
  throw new CliError(`no agent ${label} on ${brokerUrl}: nothing retained on ${topic} (is the id right? \`sma-bridge agent info\` with no --agent finds the one running)`);
}

function parseReply(payload: Buffer): AgentReply | undefined {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const r = body as Record<string, unknown>;
  if (typeof r.correlationId !== 'string' || typeof r.ok !== 'boolean') return undefined;
  if (r.ok) return { correlationId: r.correlationId, ok: true, result: r.result };
  const e = r.error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : 'INTERNAL';
  const message = typeof e?.message === 'string' ? e.message : 'the agent gave no reason';
  return { correlationId: r.correlationId, ok: false, error: { code, message } };
}
