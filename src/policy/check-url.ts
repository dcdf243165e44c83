// Which health-check URLs the agent will poll (issue 10 item 5): http/https, no userinfo, loopback hosts,
// and other hosts only where the configuration names them (`health.allowedHosts`, e.g. containers).
import { isLoopback } from './loopback.js';

/** Why the URL may not be polled, or undefined when it may. */
export function checkUrlRefusal(url: string, allowedHosts: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `scheme ${parsed.protocol} is not http or https`;
  if (parsed.username || parsed.password) return 'credentials in the URL are not allowed';
  const host = parsed.hostname;
  if (isLoopback(host)) return undefined;
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (allowedHosts.some((h) => h.toLowerCase() === bare.toLowerCase())) return undefined;
  return `host ${bare} is not loopback and not in health.allowedHosts`;
}
