// With no --agent: the agents that say ONLINE in their retained `sma/{id}/status`.
import type { MqttClient } from 'mqtt';

export const STATUS_FILTER = 'sma/+/status';

/** Ids of the agents whose retained status is ONLINE, collected for `windowMs` after subscribing. */
export async function onlineAgents(client: MqttClient, windowMs: number): Promise<string[]> {
  const online = new Set<string>();
  const onMessage = (topic: string, payload: Buffer): void => {
    const [, id] = topic.split('/');
    if (id === undefined || payload.length === 0) return;
    if (stateOf(payload) === 'ONLINE') online.add(id);
    else online.delete(id);
  };
  client.on('message', onMessage);
  try {
    await client.subscribeAsync(STATUS_FILTER, { qos: 0 });
    // Retained messages follow the SUBACK at once; the window is for slow links, not for live changes.
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    await client.unsubscribeAsync(STATUS_FILTER);
  } finally {
    client.off('message', onMessage);
  }
  return [...online].sort();
}

function stateOf(payload: Buffer): unknown {
  try {
    const body: unknown = JSON.parse(payload.toString('utf8'));
    return typeof body === 'object' && body !== null ? (body as { state?: unknown }).state : undefined;
  } catch {
    return undefined;
  }
}
