// How the agent logs in to a broker it is a client of: the external broker (`mqtt`, external mode) and the
// Sparkplug broker (`sparkplug`). The same fields in the configuration, the same mqtt.js options from them.
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { z } from 'zod/v3';

/** The configuration keys of a broker login (each section adds its own defaults and keys). */
export const brokerLoginFields = {
  url: z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://').optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** PEM files: the CA to trust, and a client certificate and key. */
  ca: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
};

export interface BrokerLogin {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  protocolVersion: 4 | 5;
}

/** The login part of mqtt.js's options; the PEM files are read now, so a missing one fails the connect. */
export function loginOptions(o: BrokerLogin): IClientOptions {
  return {
    clientId: o.clientId,
    protocolVersion: o.protocolVersion,
    username: o.username,
    password: o.password,
    ca: o.ca ? readFileSync(o.ca) : undefined,
    cert: o.cert ? readFileSync(o.cert) : undefined,
    key: o.key ? readFileSync(o.key) : undefined,
  };
}
