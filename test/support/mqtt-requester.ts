// A 3.1.1 MQTT client that sends requests the way the contract says and collects replies and events.
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { waitFor } from './wait-for.js';

export interface Reply {
  correlationId: string | null;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

export class MqttRequester {
  readonly messages: Array<{ topic: string; payload: Buffer }> = [];

  private constructor(
    readonly client: MqttClient,
    readonly root: string,
  ) {
    client.on('message', (topic, payload) => this.messages.push({ topic, payload }));
  }

  static async connect(url: string, root: string, options: mqtt.IClientOptions = {}): Promise<MqttRequester> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    const r = new MqttRequester(client, root);
    await client.subscribeAsync([`${root}/response/#`, `${root}/event/#`, `${root}/status`, `${root}/plugin/+/reregister`], { qos: 1 });
    return r;
  }

  /** A 3.1.1 requester on an agent's embedded broker. */
  static forAgent(agent: { mqttPort: number; topicRoot: string }): Promise<MqttRequester> {
    return MqttRequester.connect(`mqtt://127.0.0.1:${agent.mqttPort}`, agent.topicRoot);
  }

  /** Publishes a request (body gets a correlationId) and waits for its reply. */
  async request(op: string, body: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<Reply> {
    const correlationId = (body.correlationId as string | undefined) ?? randomUUID();
    await this.client.publishAsync(`${this.root}/request/${op}`, JSON.stringify({ ...body, correlationId }), { qos: 1 });
    return this.reply(correlationId, timeoutMs);
  }

  async reply(correlationId: string, timeoutMs = 20_000): Promise<Reply> {
    const topic = `${this.root}/response/${correlationId}`;
    const found = await waitFor(`reply ${correlationId}`, () => this.messages.find((m) => m.topic === topic), timeoutMs);
    return JSON.parse(found.payload.toString('utf8')) as Reply;
  }

  /** Publishes raw bytes to a request topic (for bad-input tests). */
  async publishRaw(topic: string, payload: Buffer | string): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  events(prefix: string): Array<Record<string, unknown>> {
    return this.messages
      .filter((m) => m.topic.startsWith(`${this.root}/event/${prefix}`))
      .map((m) => JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
