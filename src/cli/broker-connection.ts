// One MQTT 3.1.1 connection for one CLI run (the embedded aedes broker speaks 3.1.1 only), with failures as one line.
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import type { IClientOptions, MqttClient } from 'mqtt';
import { requireCommonJs } from '../commonjs.js';
import type { ClientOptions } from './client-options.js';
import { CliError } from './io.js';

/**
 * A plain mqtt:// broker gets its TCP stream from us, and only mqtt.js's client module is loaded: the
 * package's entry would load its WebSocket and SOCKS-proxy code to pick a transport we know (with the
 * CommonJS export lexer an `import` ran, some 35 ms of a command's life, BENCHMARKS.md).
 */
async function openClient(brokerUrl: string, settings: IClientOptions): Promise<MqttClient> {
  const url = new URL(brokerUrl);
  if (url.protocol !== 'mqtt:') return (requireCommonJs('mqtt') as typeof import('mqtt')).connect(brokerUrl, settings);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 1883 : Number(url.port);
  const { default: Client } = requireCommonJs('mqtt/lib/client') as typeof import('mqtt/lib/client');
  return new Client(() => tcpConnect({ host, port }), { ...settings, host, port, protocol: 'mqtt' });
}

/** Connects, or rejects with a CliError saying why the broker cannot be used. */
export async function connectBroker(options: ClientOptions): Promise<MqttClient> {
  const settings: IClientOptions = {
    protocolVersion: 4,
    clientId: `sma-cli-${randomBytes(6).toString('hex')}`,
    clean: true,
    // One attempt: a command line should say what is wrong, not retry forever.
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs,
    username: options.username,
    password: options.password,
    // mqtt-packet's cache of 65 536 two-byte buffers costs a one-shot command ~12 ms and their GC.
    writeCache: false,
  };
  const client = await openClient(options.brokerUrl, settings);
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
