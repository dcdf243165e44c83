// The agent id a gateway gets when its configuration names none: the host name, made safe for topics and endpoints.
import { hostname } from 'node:os';

export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function defaultAgentId(): string {
  // Hostnames may hold characters a topic or endpoint name should not.
  return hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63) || 'sma-bridge';
}
