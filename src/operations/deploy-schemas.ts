// The requests of services.deploy / services.deployments / services.rollback (CONTRACT section 13).
import { z } from 'zod/v3';
import { serviceNameSchema, startSpecSchema } from '../model.js';

export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;
export const versionSchema = z.string().regex(VERSION_PATTERN, 'must match ^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$');

const httpUrl = z
  .string()
  .max(4096)
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http:// or https:// URL');

// RFC 7617: a user-id holds no colon; neither holds control characters.
export const basicAuthSchema = z
  .object({ username: z.string().max(255).regex(/^[^:\u0000-\u001f\u007f]*$/, 'no colon, no control characters'), password: z.string().max(255).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters') })
  .strict();

export const artifactSchema = z
  .object({
    url: httpUrl,
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits').optional(),
    /** Base64 Ed25519 signature of the 32-byte SHA-256 digest. */
    signature: z.string().max(256).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64').optional(),
    /** Beyond the contract (LwM2M object 9): where the detached signature is, for an artifact given without its digest. */
    signatureUrl: httpUrl.optional(),
    size: z.number().int().min(0).optional(),
    /** Beyond the contract (LwM2M object 9's User Name and Password): HTTP Basic credentials for `url`'s origin only. A secret: never journaled, logged, or shown. */
    auth: basicAuthSchema.optional(),
  })
  .strict()
  .refine((a) => a.sha256 !== undefined || a.signatureUrl !== undefined, { message: 'needs sha256 (or, for a signed artifact, signatureUrl)', path: ['sha256'] });
export type Artifact = z.infer<typeof artifactSchema>;
export type ImageArtifact = z.infer<typeof imageArtifactSchema>;

/** A container service's new image: one the engine has (or an image tarball by `url` and `sha256`, as above). */
export const imageArtifactSchema = z.object({ image: z.string().min(1).max(512).regex(/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/, 'must be an image reference') }).strict();

export const gateSchema = z
  .object({
    healthyForMs: z.number().int().min(0).max(86_400_000).optional(),
    timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
  })
  .strict();

export const deployRequestSchema = z
  .object({
    name: serviceNameSchema,
    version: versionSchema,
    artifact: z.union([artifactSchema, imageArtifactSchema]),
    start: startSpecSchema.optional(),
    gate: gateSchema.optional(),
    /** Stop once downloaded and verified (state DELIVERED) until `services.install` (LwM2M object 9's Install). */
    hold: z.boolean().optional(),
  })
  .strict();
export type DeployRequest = z.infer<typeof deployRequestSchema>;

export const deploymentsRequestSchema = z.object({ name: serviceNameSchema.optional() }).strict();
/** `auth`: the credentials of a package installed again after a failed Install (its stored deployment kept none). */
export const installRequestSchema = z.object({ name: serviceNameSchema, auth: basicAuthSchema.optional() }).strict();
export const discardRequestSchema = z.object({ name: serviceNameSchema }).strict();
export const cancelRequestSchema = z.object({ name: serviceNameSchema }).strict();
export const rollbackRequestSchema = z.object({ name: serviceNameSchema }).strict();
