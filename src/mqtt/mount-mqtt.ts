// The MQTT front (CONTRACT section 5), wired: on the transport the configuration names (configured-transport.ts),
// service heartbeats to the supervisor, device heartbeats and plugin messages to the trust tracker, trust
// events out as CloudEvents and let go of once the broker acknowledged them.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { topicRootOf, type Config } from '../config/schema.js';
import type { EventBus, TrustEvent } from '../events.js';
import type { Intake } from '../inbox/command.js';
import type { AuthorizationPolicy } from '../policy/authorization.js';
import type { TransportPlan } from '../policy/transport-rules.js';
import type { CredentialGate } from '../security/credential-gate.js';
import { toCloudEvent } from '../trust/cloud-event.js';
import type { TrustInput } from '../trust/trust-query.js';
import { VERSION } from '../version.js';
import { openConfiguredTransport, type ConfiguredTransport } from './configured-transport.js';
import { MqttFront } from './mqtt-front.js';

export interface MqttMount {
  config: Config;
  plan: TransportPlan;
  /** Every front's credential checks share one gate. */
  logins: CredentialGate;
  intake: Intake;
  policy: AuthorizationPolicy;
  events: EventBus;
  services: { heartbeat(name: string, at: number): void };
  trust: TrustInput & { acknowledge(event: TrustEvent): void };
  clock: Clock;
  log: Logger;
}

/** Opens the transport (the embedded broker listens from here on); the front starts later, with `front.start()`. */
export async function mountMqtt(m: MqttMount): Promise<ConfiguredTransport & { front: MqttFront }> {
  const { config, trust, clock } = m;
  const topicRoot = topicRootOf(config);
  const opened = await openConfiguredTransport({ config, root: topicRoot, plan: m.plan, logins: m.logins, clock, log: m.log });
  const front = new MqttFront({
    transport: opened.transport,
    topicRoot,
    intake: m.intake,
    policy: m.policy,
    mayRead: opened.mayRead,
    events: m.events,
    serviceBeat: (name, at) => m.services.heartbeat(name, at),
    trust,
    formatTrustEvent: (e) => toCloudEvent(e, config.agent.id),
    published: (e) => {
      if (e.kind === 'trust') trust.acknowledge(e);
    },
    now: () => clock.now(),
    version: VERSION,
    log: m.log.child({ part: 'mqtt' }),
  });
  return { ...opened, front };
}
