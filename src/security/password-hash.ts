// scrypt password hashes for the embedded broker's users (`mqtt.broker.users[].passwordHash`).
// Format: `scrypt$N$r$p$saltBase64$hashBase64`, made by `sma-bridge passwd`, checked by the broker.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

export interface PasswordHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

/** 16 MiB and ~50 ms per check on a Pi 4: costly for a guesser, bearable for a CONNECT. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16_384, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds on what a config file may ask for, so a bad hash cannot make the broker allocate gigabytes.
const MAX_MEMORY = 256 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function derive(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function validParams({ N, r, p }: ScryptParams): boolean {
  const powerOfTwo = Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  return powerOfTwo && Number.isInteger(r) && r >= 1 && Number.isInteger(p) && p >= 1 && p <= 16 && 128 * N * r <= MAX_MEMORY;
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (!validParams(params)) throw new RangeError(`unsupported scrypt parameters N=${params.N} r=${params.r} p=${params.p}`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, KEY_BYTES, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** The parts of an encoded hash, or undefined when it is not one we accept (config validation can use this). */
export function parsePasswordHash(encoded: string): PasswordHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,10}$/.test(s) ? Number(s) : NaN));
  const [saltText, hashText] = [parts[4], parts[5]];
  if (!BASE64.test(saltText) || !BASE64.test(hashText)) return undefined;
  const params = { N, r, p };
  if (!validParams(params)) return undefined;
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { ...params, salt, hash };
}

/** True when the password matches; false for a wrong password or a malformed hash. Never throws. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return false;
  try {
    const candidate = await derive(password, parsed.salt, parsed.hash.length, parsed);
    return timingSafeEqual(candidate, parsed.hash);
  } catch {
    return false;
  }
}
