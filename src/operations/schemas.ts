// One zod schema per operation's request, shared by every front (CONTRACT section 4).
import { z } from 'zod/v3';
import { configPathRefusal, KEY_PATTERN } from './kv-keys.js';
import { METRICS } from './watch-ports.js';
import { configObjectSchema, registrationSchema, runsOneWay, serviceNameSchema } from '../model.js';
import { cancelRequestSchema, deploymentsRequestSchema, deployRequestSchema, discardRequestSchema, installRequestSchema, rollbackRequestSchema } from './deploy-schemas.js';

const names = z.array(serviceNameSchema).max(1000);
const trustLevel = z.enum(['COMPLETE', 'NONE']);

const kvKey = z.string().max(1024).regex(KEY_PATTERN, 'a key is `/`-separated segments of letters, digits and ._~-');

/** A configuration patch whose every key can be a KV key (they are published as topics too). */
const storableConfig = configObjectSchema.superRefine((config, ctx) => {
  const refusal = configPathRefusal(config);
  if (refusal) ctx.addIssue({ code: z.ZodIssueCode.custom, message: refusal });
});

export const TRUST_PAGE_MAX = 10_000;

/** Fields every request may carry for correlation; stripped before validation. */
export const envelopeKeys = ['correlationId', 'replyTo'] as const;

export const batchRequest = z.union([
  z.object({ names: names.min(1) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);
export type BatchRequest = z.infer<typeof batchRequest>;

export const requestSchemas = {
  'services.list': z.object({ includeDeregistered: z.boolean().optional() }).strict(),
  'services.health': z.object({ names: names.optional() }).strict(),
  'services.metrics': z.object({ names: names.optional() }).strict(),
  'services.start': batchRequest,
  'services.stop': batchRequest,
  'services.restart': batchRequest,
  'config.get': z.object({ name: serviceNameSchema, keys: z.array(z.string().max(256)).max(256).optional() }).strict(),
  'config.set': z.object({ name: serviceNameSchema, config: storableConfig }).strict(),
  // `expect`: a conditional register (Keeper's POST creates, 409 when the name exists; its PUT updates, 404 when not).
  'registry.register': registrationSchema.extend({ config: storableConfig.optional(), expect: z.enum(['absent', 'present']).optional() }).superRefine(runsOneWay),
  'registry.deregister': z.object({ name: serviceNameSchema }).strict(),
  'trust.get': z
    .object({
      ids: z.array(z.string().min(1).max(128)).max(10_000).optional(),
      level: trustLevel.optional(),
      // A reply must stay a sane MQTT message on a gateway tracking a million devices: pages of at most 10 000.
      limit: z.number().int().min(1).max(TRUST_PAGE_MAX).optional(),
      after: z.number().int().min(-1).optional(),
    })
    .strict(),
  'agent.info': z.object({}).strict(),
  'registry.entries': z.object({ names: names.optional(), includeDeregistered: z.boolean().optional() }).strict(),
  'kv.get': z.object({ key: kvKey, keyOnly: z.boolean().optional() }).strict(),
  'kv.put': z.object({ key: kvKey, value: z.unknown(), flatten: z.boolean().optional() }).strict(),
  'kv.delete': z.object({ key: kvKey, prefixMatch: z.boolean().optional() }).strict(),
  // The watch (CONTRACT sections 15 and 16): times in epoch ms.
  'services.logs': z.object({ name: serviceNameSchema, lines: z.number().int().min(1).max(100_000).optional(), sinceMs: z.number().int().min(0).optional() }).strict(),
  'services.history': z
    .object({ name: serviceNameSchema, metric: z.enum(METRICS), sinceMs: z.number().int().min(0).optional(), stepMs: z.number().int().min(1_000).max(86_400_000).optional() })
    .strict(),
  'alerts.list': z.object({}).strict(),
  'services.deploy': deployRequestSchema,
  'services.deployments': deploymentsRequestSchema,
  'services.rollback': rollbackRequestSchema,
  'services.install': installRequestSchema,
  'services.discard': discardRequestSchema,
  'services.cancel': cancelRequestSchema,
} as const;

export type OperationName = keyof typeof requestSchemas;
export type RequestOf<N extends OperationName> = z.infer<(typeof requestSchemas)[N]>;

export const operationNames = Object.keys(requestSchemas) as OperationName[];

export function isOperationName(op: string): op is OperationName {
  return Object.prototype.hasOwnProperty.call(requestSchemas, op);
}

/** zod issues as one line: `path: why; path: why`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}
