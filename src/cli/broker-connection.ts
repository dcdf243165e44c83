// One MQTT 3.1.1 connection for one CLI run (the embedded aedes broker speaks 3.1.1 only), with failures as one line.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { ClientOptions } from './client-options.js';
import { CliError } from './io.js';

/**
 * A plain mqtt:// broker gets its TCP stream from us: mqtt.connect() would first load its WebSocket and
 * SOCKS-proxy code (some 30-50 ms of a command's life on a Pi-class CPU) to pick a transport we know.
 */
function openClient(brokerUrl: string, settings: IClientOptions): MqttClient {
  const url = new URL(brokerUrl);
  if (url.protocol !== 'mqtt:') return mqtt.connect(brokerUrl, settings);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 1883 : Number(url.port);
  return new MqttClient(() => tcpConnect({ host, port }), { ...settings, host, port, protocol: 'mqtt' });
}

/** Connects, or rejects with a CliError saying why the broker cannot be used. */
export function connectBroker(options: ClientOptions): Promise<MqttClient> {
  const settings: IClientOptions = {
    protocolVersion: 4,
    clientId: `sma-cli-${randomBytes(6).toString('hex')}`,
    clean: true,
    // One attempt: a command line should say what is wrong, not retry forever.
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs,
    username: options.username,
    password: options.password,
  };
  const client = openClient(options.brokerUrl, settings);
  // Late errors (after we gave up, or once connected) surface as 'close' to whoever waits; an
  // 'error' with no listener would throw.
  client.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    };
    const fail = (why: string): void => {
      settle();
      client.end(true);
      reject(new CliError(why));
    };
    const onConnect = (): void => {
      settle();
      // One small packet after another, each waiting for its answer: Nagle would only add delay.
      (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      resolve(client);
    };
    const onError = (err: Error & { code?: string | number }): void => {
      if (typeof err.code === 'number') fail(`broker ${options.brokerUrl} refused the connection: ${err.message.replace(/^Connection refused: /, '')}`);
      else if (err.message === 'connack timeout') fail(`cannot reach broker ${options.brokerUrl}: no answer within ${options.timeoutMs} ms`);
      else fail(`cannot reach broker ${options.brokerUrl}: ${err.code ?? err.message}`);
    };
    const onClose = (): void => fail(`cannot reach broker ${options.brokerUrl}: connection closed`);
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}
