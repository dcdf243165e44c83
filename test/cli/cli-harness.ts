// Runs the CLI's `main` in-process with captured output, and an aedes broker on a free loopback port.
import { createServer, type Server } from 'node:net';
import { Readable } from 'node:stream';
import { Aedes, type AedesOptions } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { main, type CliSettings } from '../../src/cli/cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], stdinText = '', settings: CliSettings = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (c: string | Uint8Array) => (stdout += c.toString()) },
    stderr: { write: (c: string | Uint8Array) => (stderr += c.toString()) },
    stdin: Readable.from([stdinText]),
  };
  const code = await main(argv, io, settings);
  return { code, stdout, stderr };
}

export interface TestBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startBroker(options: AedesOptions = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker(options);
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port nothing listens on: one the OS just gave out and that was closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export type Handler = (body: Record<string, unknown>) => { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } } | undefined;

export interface Responder {
  /** Bodies received, by operation, in order. */
  requests: Array<{ op: string; body: Record<string, unknown> }>;
  client: MqttClient;
  close(): Promise<void>;
}

/**
 * Stands in for the agent's MQTT front: answers `R/request/{op}` on `replyTo` with the handler's reply
 * (undefined: no answer). The real agent's request path is covered by the lead's end-to-end tests.
 */
export async function startResponder(brokerUrl: string, root: string, handlers: Record<string, Handler>): Promise<Responder> {
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, reconnectPeriod: 0 });
  const requests: Responder['requests'] = [];
  client.on('message', (topic, payload) => {
    const op = topic.slice(`${root}/request/`.length);
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    requests.push({ op, body });
    const reply = handlers[op]?.(body);
    if (!reply) return;
    const replyTo = typeof body.replyTo === 'string' ? body.replyTo : `${root}/response/${String(body.correlationId)}`;
    void client.publishAsync(replyTo, JSON.stringify({ correlationId: body.correlationId, ...reply }), { qos: 1 });
  });
  await client.subscribeAsync(`${root}/request/#`, { qos: 1 });
  return { requests, client, close: () => client.endAsync() };
}

/** Publishes a retained `sma/{id}/status` as an agent does. */
export async function announce(brokerUrl: string, agentId: string, state: 'ONLINE' | 'OFFLINE'): Promise<void> {
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, reconnectPeriod: 0 });
  await client.publishAsync(`sma/${agentId}/status`, JSON.stringify({ state, since: new Date(0).toISOString(), version: '0.1.0' }), {
    qos: 1,
    retain: true,
  });
  await client.endAsync();
}
