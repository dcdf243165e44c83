// An artifact's integrity (CONTRACT section 13): its SHA-256, and an Ed25519 signature of that digest by a trusted key.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { abortedStep } from './cancel-rules.js';
import { DeployFailure } from './deployment.js';
import { garbageBound } from './garbage-bound.js';

/** The file's SHA-256; a cancel (`signal`) stops the reading at the next piece, INTERRUPTED. */
export async function sha256Of(file: string, signal?: AbortSignal): Promise<Buffer> {
  const hash = createHash('sha256');
  const bound = garbageBound();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 16 })) {
    if (signal?.aborted) throw abortedStep();
    hash.update(chunk as Buffer);
    bound((chunk as Buffer).length);
  }
  return hash.digest();
}

export interface SignaturePolicy {
  trustedKeys: readonly KeyObject[];
  requireSignature: boolean;
}

/** Ed25519 public keys from PEM; a key that is not Ed25519 is a configuration error. */
export function trustedKeysOf(pems: readonly string[]): KeyObject[] {
  return pems.map((pem, i) => {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`deploy.trustedKeys[${i}] is a ${key.asymmetricKeyType} key, not Ed25519`);
    return key;
  });
}

/** Throws INTEGRITY unless the digest matches and, where keys are configured or a signature is required, one key signed it. */
export function checkIntegrity(digest: Buffer, expectedHex: string, signatureB64: string | undefined, policy: SignaturePolicy): void {
  const expected = Buffer.from(expectedHex, 'hex');
  if (!digest.equals(expected)) throw new DeployFailure('INTEGRITY', `SHA-256 is ${digest.toString('hex')}, expected ${expectedHex.toLowerCase()}`);
  if (signatureB64 === undefined) {
    if (policy.requireSignature) throw new DeployFailure('INTEGRITY', 'unsigned artifact refused: deploy.requireSignature is set');
    return;
  }
  if (policy.trustedKeys.length === 0) throw new DeployFailure('INTEGRITY', 'a signature was given but deploy.trustedKeys is empty: nothing to check it against');
  const signature = Buffer.from(signatureB64, 'base64');
  if (!policy.trustedKeys.some((key) => verify(null, digest, key, signature))) {
    throw new DeployFailure('INTEGRITY', 'the signature verifies against none of deploy.trustedKeys');
  }
}
