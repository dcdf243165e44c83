// The LwM2M client (CONTRACT section 6), wired: the device's facts, the objects' definitions shipped with the
// package, reboot through the executor. agent.ts imports this file only when `lwm2m.serverUri` or
// `lwm2m.bootstrapUri` is set: the CoAP and DTLS stacks stay out of an agent that does not speak LwM2M.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { endpointOf, type Config } from '../config/schema.js';
import { deviceFacts } from '../device-facts.js';
import type { EventBus } from '../events.js';
import type { Executor } from '../executor/executor.js';
import type { Intake } from '../inbox/command.js';
import { PACKAGE_ROOT, VERSION } from '../version.js';
import type { AccountMemory } from './bootstrap/account-memory.js';
import type { AnnouncedServicesMemory } from './objects/update-supported-objects.js';
import { Lwm2mClient } from './lwm2m-front.js';

export interface Lwm2mMount {
  config: Config;
  intake: Intake;
  events: EventBus;
  /** What /3/0/4 Reboot runs, when the executor has a reboot command. */
  executor: Pick<Executor, 'canReboot' | 'reboot'>;
  /** Where a bootstrapped account survives a restart (the store, from the composition root). */
  memory: AccountMemory;
  /** Where object 9's Update Supported Objects (8) survive a restart (the store, from the composition root). */
  announced: AnnouncedServicesMemory;
  clock: Clock;
  log: Logger;
}

/** Starts the client (bootstrap or registration); returns its stop (De-register). */
export async function mountLwm2m(m: Lwm2mMount): Promise<() => Promise<void>> {
  const { config, executor } = m;
  const client = new Lwm2mClient({
    config: { ...config.lwm2m, endpoint: endpointOf(config) },
    intake: m.intake,
    events: m.events,
    clock: m.clock,
    log: m.log,
    objectsDir: join(PACKAGE_ROOT, 'objects'),
    device: deviceFacts(VERSION),
    canReboot: executor.canReboot,
    reboot: () => executor.reboot(),
    heartbeatTimeoutS: Math.round(config.trust.heartbeatTimeoutMs / 1000),
    memory: m.memory,
    announced: m.announced,
    parameters: config.lwm2m.separateResponseAfterMs === undefined ? undefined : { piggybackReplyMs: config.lwm2m.separateResponseAfterMs },
  });
  await client.start();
  return () => client.stop();
}
