// The Sparkplug B edge node (CONTRACT section 14), wired: its own MQTT connection, the session rules
// (edge-node.ts), the front (sparkplug-front.ts). agent.ts calls mountSparkplug when `sparkplug.url` is set.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ConfigError } from '../config/load.js';
import type { SmaEvent } from '../events.js';
import type { Intake } from '../inbox/command.js';
import { isLoopback } from '../policy/loopback.js';
import { BadInputLog } from './bad-input-log.js';
import type { SparkplugConfig } from './config-schema.js';
import { openEdgeConnection } from './edge-connection.js';
import { EdgeNode, type BdSeqMemory } from './edge-node.js';
import { SparkplugFront } from './sparkplug-front.js';
import { SparkplugTopics } from './topics.js';

export interface SparkplugMount {
  config: SparkplugConfig & { url: string };
  agentId: string;
  intake: Intake;
  subscribe: (listener: (event: SmaEvent) => void) => () => void;
  /** Where the last bdSeq is kept (the store, from the composition root). */
  bdSeq: BdSeqMemory;
  intervalMs: number;
  clock: Clock;
  log: Logger;
}

/** Starts the edge node; returns its stop (NDEATH or DISCONNECT 0x04). */
export async function mountSparkplug(m: SparkplugMount): Promise<() => Promise<void>> {
  const { config, log } = m;
  const host = plaintextCheck(config, log);
  const topics = new SparkplugTopics(config.groupId, config.edgeNodeId ?? m.agentId);
  const badInput = new BadInputLog(log);
  const front = new SparkplugFront({
    intake: m.intake,
    subscribe: m.subscribe,
    principal: { role: 'operator', username: `sparkplug:${host}` },
    acceptCommands: config.acceptCommands,
    intervalMs: m.intervalMs,
    trustDevices: config.trustDevices,
    badInput,
    clock: m.clock,
    log,
  });
  const node = new EdgeNode({
    topics,
    connection: {
      url: config.url,
      clientId: `sma-bridge-sparkplug-${topics.edgeNodeId}`.slice(0, 128),
      username: config.username,
      password: config.password,
      ca: config.ca,
      cert: config.cert,
      key: config.key,
      protocolVersion: config.protocolVersion,
    },
    open: openEdgeConnection,
    primaryHostId: config.primaryHostId,
    memory: m.bdSeq,
    births: () => front.births(),
    onNodeCommand: (p) => front.nodeCommand(p),
    onDeviceCommand: (device, p) => front.deviceCommand(device, p),
    badInput,
    rebirthMinIntervalMs: config.rebirthMinIntervalMs,
    clock: m.clock,
    log,
  });
  await front.start(node);
  await node.start();
  return async () => {
    front.stop();
    await node.stop();
  };
}

/** As for the external broker: a password crosses the network only inside TLS, unless allowPlaintext says so. */
function plaintextCheck(config: SparkplugConfig & { url: string }, log: Logger): string {
  const url = new URL(config.url);
  if (url.protocol === 'mqtt:' && config.password !== undefined && !isLoopback(url.hostname)) {
    if (!config.allowPlaintext) throw new ConfigError([`sparkplug.url: ${url.hostname} is not loopback and a password is configured: use mqtts:// or set sparkplug.allowPlaintext`]);
    log.warn({ security: 'plaintext' }, `INSECURE: sparkplug.allowPlaintext: the Sparkplug broker password crosses the network in clear to ${url.hostname}`);
  }
  return url.hostname;
}
