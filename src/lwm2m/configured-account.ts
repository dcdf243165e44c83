// The accounts the configuration names: the LwM2M Server's (the factory account, when a Bootstrap-Server
// is configured too) and the PSKs, their keys read from the file once.
import { readFile } from 'node:fs/promises';
import { PSK_HEX, type Config } from '../config/schema.js';
import type { ServerAccount } from './bootstrap/server-account.js';
import { SHORT_SERVER_ID } from './objects/account-sources.js';
import { parseServerUri } from './server-uri.js';
import type { PskCredentials } from './transport/dtls-port.js';

type Lwm2mConfig = Config['lwm2m'];

/** A configured PSK, its key read once; kept out of every log line and every readable resource. */
export async function readPsk(psk: NonNullable<Lwm2mConfig['psk']>, key: string): Promise<PskCredentials> {
  const hex = psk.key ?? (await readFile(psk.keyFile!, 'utf8')).trim();
  if (!PSK_HEX.test(hex)) throw new Error(`${key}.keyFile must hold 1-64 bytes of hex`);
  return { identity: psk.identity, key: Buffer.from(hex, 'hex') };
}

/** The configured server's account (the factory account, when a Bootstrap-Server is configured too). */
export async function configuredAccount(config: Lwm2mConfig, serverUri: string): Promise<ServerAccount> {
  const secure = parseServerUri(serverUri).secure;
  const psk = config.psk;
  if (!secure && psk) throw new Error('lwm2m.psk is set but lwm2m.serverUri is coap:// (NoSec); use coaps://');
  const base = { uri: serverUri, shortServerId: SHORT_SERVER_ID, lifetimeS: config.lifetimeS };
  if (!secure) return { ...base, mode: 3 };
  if (!psk) throw new Error('lwm2m.serverUri is coaps:// but lwm2m.psk is not set (certificate modes are not supported yet)');
  return { ...base, mode: 0, ...(await readPsk(psk, 'lwm2m.psk')) };
}
