// The options of commands that ask a running agent, checked once (bad values are usage errors, exit 2).
import { AGENT_ID } from '../config/agent-id.js';
import type { OptionValues } from './argv.js';
import { usageError } from './io.js';
import type { LocalAgent } from './local-agent.js';

export interface ClientOptions {
  brokerUrl: string;
  /** Agent to ask; absent with no topicRoot: discover the one ONLINE agent. */
  agentId?: string;
  /** Overrides `sma/{agentId}`. */
  topicRoot?: string;
  username?: string;
  password?: string;
  timeoutMs: number;
}

export const DEFAULT_BROKER = 'mqtt://127.0.0.1:1883';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** `local`: what SMA_BROKER / SMA_AGENT or the agent's configuration file say (local-agent.ts); flags win. */
export function clientOptionsFrom(values: OptionValues, local: LocalAgent = {}): ClientOptions {
  const brokerUrl = values.broker ?? local.brokerUrl ?? DEFAULT_BROKER;
  if (!/^(mqtts?|wss?):\/\/[^/]/.test(brokerUrl)) throw usageError(`--broker must be an mqtt://, mqtts://, ws:// or wss:// URL, not '${brokerUrl}'`);
  const timeoutText = values.timeout ?? String(DEFAULT_TIMEOUT_MS);
  const timeoutMs = Number(timeoutText);
  if (!/^\d+$/.test(timeoutText) || timeoutMs < 1 || timeoutMs > 3_600_000) {
    throw usageError(`--timeout must be a whole number of milliseconds (1..3600000), not '${timeoutText}'`);
  }
  if (values.agent !== undefined && !AGENT_ID.test(values.agent)) throw usageError(`--agent '${values.agent}' is not an agent id`);
  const named = values.agent !== undefined || values['topic-root'] !== undefined;
  const agentId = values.agent ?? (named ? undefined : local.agentId);
  if (agentId !== undefined && !AGENT_ID.test(agentId)) throw usageError(`SMA_AGENT '${agentId}' is not an agent id`);
  const root = values['topic-root'] ?? (named ? undefined : local.topicRoot);
  if (root !== undefined && (root === '' || /[#+]/.test(root) || root.endsWith('/'))) {
    throw usageError(`--topic-root '${root}' must be a topic without wildcards or a trailing /`);
  }
  if (values.password !== undefined && values.username === undefined) throw usageError('--password needs --username');
  return { brokerUrl, agentId, topicRoot: root, username: values.username, password: values.password, timeoutMs };
}
