// The environment of a spawned service: what systemd gives a unit, not the agent's own. The agent's environment
// may hold secrets (SMA_* overrides such as the broker password); a service gets only what is named for it.
import type { StartSpec } from '../model.js';

/** systemd's default PATH for units (systemd.exec(5)). */
export const MINIMAL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Passed on when the agent has them: locale and time zone, so a service formats text and times as the host does. */
const PASSED_WHEN_SET = ['LANG', 'TZ'] as const;

/**
 * A minimal PATH, LANG and TZ when the agent has them, the variables the operator named in `inheritEnv`
 * (taken from the agent's environment), and last the service's own `env`, which wins over everything.
 */
export function childEnv(start: Pick<StartSpec, 'env' | 'inheritEnv'>, agentEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  env.PATH = MINIMAL_PATH;
  for (const name of [...PASSED_WHEN_SET, ...(start.inheritEnv ?? [])]) {
    const value = agentEnv[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(start.env ?? {})) env[name] = value;
  return env;
}
