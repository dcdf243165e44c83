// Where passwords may travel (issue 10 item 4, README "Transport rules"): beyond loopback only inside TLS,
// unless the configuration says `allowPlaintext`, which is then logged loudly at every start.
import { isLoopback } from './loopback.js';

export interface BrokerListen {
  host: string;
  users: number;
  tls: boolean;
}

export interface TransportPlan {
  /** Why the agent must not start (configuration errors, each with its path). */
  errors: string[];
  /** What to log as a warning at every start. */
  warnings: string[];
  /** Where the embedded broker's plain (non-TLS) listener binds. */
  plainHost?: string;
}

export function embeddedBrokerPlan(b: BrokerListen, allowPlaintext: boolean): TransportPlan {
  if (isLoopback(b.host)) return { errors: [], warnings: [], plainHost: b.host };
  if (b.users === 0) return { errors: [`mqtt.broker.host: ${b.host} is not loopback; configure mqtt.broker.users first`], warnings: [] };
  if (allowPlaintext) {
    return { errors: [], warnings: [`mqtt.allowPlaintext: broker passwords cross the network in clear on ${b.host}`], plainHost: b.host };
  }
  if (!b.tls) {
    return { errors: [`mqtt.broker.host: ${b.host} is not loopback and users are configured: configure TLS (tlsPort, cert, key) or set mqtt.allowPlaintext`], warnings: [] };
  }
  // TLS serves the network; the plain listener stays for local clients only.
  return { errors: [], warnings: [], plainHost: b.host.includes(':') ? '::1' : '127.0.0.1' };
}

export function externalBrokerPlan(url: string, hasCredentials: boolean, allowPlaintext: boolean): TransportPlan {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { errors: [`mqtt.url: ${url} is not a URL`], warnings: [] };
  }
  if (parsed.protocol === 'mqtts:' || !hasCredentials || isLoopback(parsed.hostname)) return { errors: [], warnings: [] };
  if (allowPlaintext) return { errors: [], warnings: [`mqtt.allowPlaintext: the agent's broker password crosses the network in clear to ${parsed.hostname}`] };
  return { errors: [`mqtt.url: ${parsed.hostname} is not loopback and a password is configured: use mqtts:// or set mqtt.allowPlaintext`], warnings: [] };
}
