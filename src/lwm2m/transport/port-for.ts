// The one place a security mode picks its transport: DTLS for a PSK account, plain UDP for NoSec
// (certificate modes would add a branch here). The DTLS library is loaded only for a PSK account, so NoSec
// gateways do not carry it.
import type { Logger } from 'pino';
import type { Lwm2mParameters } from '../parameters.js';
import type { PskCredentials } from './dtls-port.js';
import { UdpPort, type DatagramPort } from './udp-port.js';

export async function portFor(
  peer: { host: string; port: number },
  psk: PskCredentials | undefined,
  o: { localPort: number; params: Lwm2mParameters; log: Logger },
): Promise<DatagramPort> {
  if (!psk) return UdpPort.open(o.localPort, o.params.socketReceiveBufferBytes, o.log);
  const { DtlsPort } = await import('./dtls-port.js');
  return new DtlsPort(peer, psk, o.log, o.params.registrationAttemptMs, o.localPort);
}
