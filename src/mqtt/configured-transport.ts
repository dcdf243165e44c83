// The MQTT transport the configuration names: the embedded broker with its per-user ACLs, or a client of an
// external broker (`mqtt.mode`), and the plan that says whether that listener or connection is safe to open.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { embeddedBrokerPlan, externalBrokerPlan, type TransportPlan } from '../policy/transport-rules.js';
import type { CredentialGate } from '../security/credential-gate.js';
import { VERSION } from '../version.js';
import { BrokerAccess } from './broker-access.js';
import { EmbeddedBroker } from './embedded-broker.js';
import type { MqttTransport } from './transport.js';

export function mqttTransportPlan(m: Config['mqtt']): TransportPlan {
  if (m.mode === 'external') return externalBrokerPlan(m.url!, m.password !== undefined, m.allowPlaintext);
  const b = m.broker;
  return embeddedBrokerPlan({ host: b.host, users: b.users?.length ?? 0, tls: b.tlsPort !== undefined && !!b.cert && !!b.key }, m.allowPlaintext);
}

export interface ConfiguredTransport {
  transport: MqttTransport;
  /** The embedded broker's ACL (undefined with an external broker, whose ACL the agent cannot see). */
  mayRead?: BrokerAccess['mayRead'];
  /** The embedded broker's port; undefined with an external broker. */
  brokerPort?: number;
  /** What `close` closes, for the stop log. */
  closes: string;
  close(): Promise<void>;
}

export async function openConfiguredTransport(o: { config: Config; root: string; plan: TransportPlan; logins: CredentialGate; clock: Clock; log: Logger }): Promise<ConfiguredTransport> {
  const { config, root, log } = o;
  if (config.mqtt.mode === 'external') {
    const offline = Buffer.from(JSON.stringify({ state: 'OFFLINE', since: null, version: VERSION }));
    // Loaded only when used: the MQTT client and CoAP stacks are memory a gateway may not need.
    const { connectExternal } = await import('./external-client.js');
    const transport = await connectExternal({
      url: config.mqtt.url!,
      clientId: `sma-bridge-${config.agent.id}`,
      username: config.mqtt.username,
      password: config.mqtt.password,
      ca: config.mqtt.ca,
      cert: config.mqtt.cert,
      key: config.mqtt.key,
      protocolVersion: config.mqtt.protocolVersion,
      will: { topic: `${root}/status`, payload: offline },
      log: log.child({ part: 'mqtt' }),
    });
    return { transport, closes: 'mqtt client', close: () => transport.close() };
  }
  const b = config.mqtt.broker;
  const access = new BrokerAccess(b.users ?? [], root, (password, hash) => o.logins.check(password, hash), log.child({ part: 'broker' }), () => o.clock.now());
  const broker = await EmbeddedBroker.start({
    host: o.plan.plainHost ?? b.host,
    tlsHost: b.host,
    port: b.port,
    tlsPort: b.tlsPort,
    cert: b.cert,
    key: b.key,
    access,
    log: log.child({ part: 'broker' }),
  });
  return { transport: broker.transport(), mayRead: (p, topic) => access.mayRead(p, topic), brokerPort: broker.port, closes: 'embedded broker', close: () => broker.close() };
}
