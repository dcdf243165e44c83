// Where the command line finds its agent when no --broker or --agent says so: SMA_BROKER and SMA_AGENT, else
// the agent's own configuration file (-c FILE, SMA_CONFIG, or /etc/sma-bridge/config.json when readable),
// with the SMA_* overrides the agent itself would apply: a port moved in the file or the environment is found.
import { accessSync, constants } from 'node:fs';
import type { OptionValues } from './argv.js';
import { usageError } from './io.js';

export const INSTALLED_CONFIG = '/etc/sma-bridge/config.json';

export interface LocalAgent {
  brokerUrl?: string;
  agentId?: string;
  topicRoot?: string;
}

export async function localAgent(values: OptionValues, env: NodeJS.ProcessEnv = process.env): Promise<LocalAgent> {
  const fromEnv: LocalAgent = {
    ...(env.SMA_BROKER ? { brokerUrl: env.SMA_BROKER } : {}),
    ...(env.SMA_AGENT ? { agentId: env.SMA_AGENT } : {}),
  };
  // A broker named on the command line or in the environment: the file's agent may not live there.
  if (values.broker !== undefined || fromEnv.brokerUrl !== undefined) return fromEnv;
  const named = values.config ?? env.SMA_CONFIG;
  const path = named ?? (readable(INSTALLED_CONFIG) ? INSTALLED_CONFIG : undefined);
  if (path === undefined) return fromEnv;
  // Loaded only with a file to read: the schema is time a bare client command does not spend.
  const { loadConfig, ConfigError } = await import('../config/load.js');
  let config;
  try {
    config = loadConfig(path, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (named !== undefined) throw usageError(`config: ${err.problems[0]}`);
    return fromEnv;
  }
  const m = config.mqtt;
  if (m.mode === 'embedded' && m.broker.port === 0) throw usageError(`${path} has mqtt.broker.port 0 (a free port chosen at each start): give --broker mqtt://HOST:PORT`);
  const host = ['0.0.0.0', '::', ''].includes(m.broker.host) ? '127.0.0.1' : m.broker.host;
  const brokerUrl = m.mode === 'external' ? m.url : `mqtt://${host.includes(':') ? `[${host}]` : host}:${m.broker.port}`;
  return { ...(brokerUrl ? { brokerUrl } : {}), agentId: fromEnv.agentId ?? config.agent.id, ...(m.topicRoot ? { topicRoot: m.topicRoot } : {}) };
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
