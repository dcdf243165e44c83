// Where the HTTP front may listen (issue 13 item 5, the broker's rules): loopback needs nothing; any other
// address needs users, and then TLS or an explicit allowPlaintext (logged loudly at every start).
import { isLoopback } from '../policy/loopback.js';

export interface HttpListen {
  host: string;
  users: number;
  tls: boolean;
  allowPlaintext: boolean;
}

export function httpTransportPlan(h: HttpListen): { errors: string[]; warnings: string[] } {
  if (isLoopback(h.host)) return { errors: [], warnings: [] };
  if (h.users === 0) return { errors: [`http.host: ${h.host} is not loopback; configure http.users first`], warnings: [] };
  if (h.tls) return { errors: [], warnings: [] };
  if (h.allowPlaintext) return { errors: [], warnings: [`http.allowPlaintext: HTTP credentials cross the network in clear on ${h.host}`] };
  return { errors: [`http.host: ${h.host} is not loopback and users are configured: configure http.cert and http.key or set http.allowPlaintext`], warnings: [] };
}
