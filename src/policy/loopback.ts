// Whether a host is the loopback interface, decided by parsing the address (node:net), never by a regex.
import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
// IPv4-mapped IPv6 (::ffff:127.0.0.1).
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** `localhost` by name, or an IPv4/IPv6 literal in a loopback range; any other name is not loopback. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  if (family === 4) return loopback.check(bare, 'ipv4');
  if (family === 6) return loopback.check(bare, 'ipv6');
  return false;
}
