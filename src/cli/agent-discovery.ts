// Which agent to ask, from the retained `{R}/status` every agent keeps on its broker (CONTRACT section 5).
// Retained messages follow the SUBACK at once, so both answers come within milliseconds; the windows
// below only bound how long silence is waited for, never how long a found agent waits.
import type { MqttClient } from 'mqtt';

export const STATUS_FILTER = 'sma/+/status';

export interface DiscoveryTimings {
  /** With no --agent: how long to wait for the first ONLINE status. */
  windowMs: number;
  /** After one ONLINE status, how long the retained burst may still bring another agent. */
  settleMs: number;
}

export const DISCOVERY: DiscoveryTimings = { windowMs: 1_000, settleMs: 40 };

/** With --agent: how long a named agent's retained status may take before it counts as unknown. */
export const NAMED_AGENT_WINDOW_MS = 500;

type Status = { state: 'ONLINE' | 'OFFLINE' | 'GONE'; since?: string };

/**
 * Ids of the agents whose retained status is ONLINE. Returns as soon as `preferred` (the local
 * agent's id) says ONLINE, or once the retained burst has settled after the first ONLINE agent.
 */
export async function onlineAgents(client: MqttClient, timings: DiscoveryTimings, preferred?: string): Promise<string[]> {
  const online = new Set<string>();
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let settle: NodeJS.Timeout | undefined;
  const window = setTimeout(finish, timings.windowMs);
  const onMessage = (topic: string, payload: Buffer): void => {
    const [, id] = topic.split('/');
    if (id === undefined || topic !== `sma/${id}/status`) return;
    if (statusOf(payload).state !== 'ONLINE') {
      online.delete(id);
      return;
    }
    online.add(id);
    if (id === preferred) return finish();
    clearTimeout(settle);
    settle = setTimeout(finish, timings.settleMs);
  };
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(STATUS_FILTER, { qos: 0 });
    await done;
    unsubscribeLater(client, STATUS_FILTER);
  } finally {
    clearTimeout(window);
    clearTimeout(settle);
    client.off('message', onMessage);
  }
  // The local agent, when it answered, is the one meant.
  return preferred !== undefined && online.has(preferred) ? [preferred] : [...online].sort();
}

/** The retained status on `topic`, or GONE when none arrives within `windowMs`. */
export async function agentStatus(client: MqttClient, topic: string, windowMs: number): Promise<Status> {
  let onMessage: (t: string, payload: Buffer) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const seen = new Promise<Status>((resolve) => {
    onMessage = (t, payload) => {
      if (t === topic) resolve(statusOf(payload));
    };
    timer = setTimeout(() => resolve({ state: 'GONE' }), windowMs);
  });
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(topic, { qos: 0 });
    const status = await seen;
    unsubscribeLater(client, topic);
    return status;
  } finally {
    clearTimeout(timer);
    client.off('message', onMessage);
  }
}

/** The answer is known: the UNSUBACK is not worth a round trip (later messages on the topic are ignored). */
function unsubscribeLater(client: MqttClient, topic: string): void {
  client.unsubscribeAsync(topic).catch(() => undefined);
}

function statusOf(payload: Buffer): Status {
  if (payload.length === 0) return { state: 'GONE' };
  try {
    const body = JSON.parse(payload.toString('utf8')) as { state?: unknown; since?: unknown };
    const since = typeof body.since === 'string' ? body.since : undefined;
    return { state: body.state === 'ONLINE' ? 'ONLINE' : 'OFFLINE', since };
  } catch {
    return { state: 'OFFLINE' };
  }
}
