// What a client-initiated Bootstrap leaves behind (LwM2M TS Core 6.1): the LwM2M Server account to register
// with, read out of the Security (0) and Server (1) instances a Bootstrap-Server wrote. Pure functions.
import { isObjectLink, type ResourceValue } from '../content/node.js';

/** The account the registration uses; `key` (PSK mode) stays in the transport and the store only. */
export interface ServerAccount {
  uri: string;
  /** LwM2M TS Core E.1 Security Mode: 0 PSK, 3 NoSec (certificate modes are not supported). */
  mode: 0 | 3;
  identity?: string;
  key?: Buffer;
  shortServerId: number;
  lifetimeS: number;
}

/** Instances of one object by id, resources by id (a multiple resource keeps its last value: none is used here). */
export type Instances = Map<number, Map<number, ResourceValue>>;

// Resource ids of objects 0 and 1 (OMA DDF 0 and 1).
const SEC = { uri: 0, bootstrap: 1, mode: 2, identity: 3, key: 5, ssid: 10 } as const;
const SRV = { ssid: 0, lifetime: 1, binding: 7 } as const;

const text = (v: ResourceValue | undefined): string | undefined =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
const int = (v: ResourceValue | undefined): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const bytes = (v: ResourceValue | undefined): Buffer | undefined =>
  Buffer.isBuffer(v) ? v : typeof v === 'string' && !isObjectLink(v) ? Buffer.from(v, 'utf8') : undefined;

/**
 * The one LwM2M Server account the written instances describe, or why they describe none (Bootstrap-Finish
 * then answers 4.06 Not Acceptable, TS Core 6.1.7.7). `defaultLifetimeS` when the Server instance has none.
 */
export function serverAccountOf(security: Instances, server: Instances, defaultLifetimeS: number): ServerAccount | string {
  const accounts = [...security.values()].filter((r) => r.get(SEC.bootstrap) !== true);
  if (accounts.length === 0) return 'no LwM2M Server account in the Security object';
  if (accounts.length > 1) return 'more than one LwM2M Server account (this client registers with one server)';
  const sec = accounts[0]!;
  const uri = text(sec.get(SEC.uri));
  const ssid = int(sec.get(SEC.ssid));
  const mode = int(sec.get(SEC.mode));
  if (!uri || !/^coaps?:\/\/[^/]/.test(uri)) return 'the Server URI (0/x/0) is not a coap:// or coaps:// URI';
  if (ssid === undefined || ssid < 1 || ssid > 65534) return 'the Short Server ID (0/x/10) is missing or out of range';
  if (mode !== 0 && mode !== 3) return `security mode ${mode ?? '(none)'} is not supported (PSK 0 and NoSec 3 are)`;
  if ((mode === 0) !== uri.startsWith('coaps:')) return mode === 0 ? 'PSK mode needs a coaps:// URI' : 'NoSec mode needs a coap:// URI';
  const srv = [...server.values()].find((r) => int(r.get(SRV.ssid)) === ssid);
  if (!srv) return `no Server instance (object 1) with Short Server ID ${ssid}`;
  const binding = text(srv.get(SRV.binding));
  if (binding !== undefined && !binding.includes('U')) return `binding ${binding} has no U (this client speaks UDP only)`;
  const lifetimeS = int(srv.get(SRV.lifetime)) ?? defaultLifetimeS;
  if (lifetimeS < 10 || lifetimeS > 86_400 * 30) return `lifetime ${lifetimeS} s is out of range (10 to 2592000)`;
  if (mode === 3) return { uri, mode, shortServerId: ssid, lifetimeS };
  const identity = text(sec.get(SEC.identity));
  const key = bytes(sec.get(SEC.key));
  if (!identity || !key || key.length === 0 || key.length > 64) return 'PSK mode needs an identity (0/x/3) and a key of 1-64 bytes (0/x/5)';
  return { uri, mode, identity, key, shortServerId: ssid, lifetimeS };
}

/** As kept in the store (JSON): the key as hex. */
export interface StoredAccount {
  uri: string;
  mode: 0 | 3;
  identity?: string;
  keyHex?: string;
  shortServerId: number;
  lifetimeS: number;
}

export const toStored = (a: ServerAccount): StoredAccount => ({
  uri: a.uri,
  mode: a.mode,
  ...(a.identity !== undefined ? { identity: a.identity } : {}),
  ...(a.key ? { keyHex: a.key.toString('hex') } : {}),
  shortServerId: a.shortServerId,
  lifetimeS: a.lifetimeS,
});

export const fromStored = (s: StoredAccount): ServerAccount => ({
  uri: s.uri,
  mode: s.mode,
  ...(s.identity !== undefined ? { identity: s.identity } : {}),
  ...(s.keyHex ? { key: Buffer.from(s.keyHex, 'hex') } : {}),
  shortServerId: s.shortServerId,
  lifetimeS: s.lifetimeS,
});
