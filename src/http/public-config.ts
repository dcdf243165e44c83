import type { Config } from '../config/schema.js';

/** The configuration as /config shows it: password and token hashes and key paths left out. */
export function publicConfig(config: Config): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(config, (key, value: unknown) => (['passwordHash', 'tokenHash', 'password', 'key', 'psk'].includes(key) ? undefined : value)),
  ) as Record<string, unknown>;
}
