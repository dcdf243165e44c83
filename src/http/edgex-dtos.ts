// EdgeX's request DTOs (as go-mod-core-contracts and app-functions-sdk-python send them) and response envelopes.
import type { ServerResponse } from 'node:http';
import { z } from 'zod/v3';
import { asSmaError } from '../errors.js';
import { httpStatusOf, sendJson } from './respond.js';

/** EdgeX's Go clients send `requestId: ""` and the DTO's zero values: accept them, ignore what we do not use. */
const baseRequest = { apiVersion: z.string().max(16).optional(), requestId: z.string().max(64).optional() };

const healthCheck = z.object({
  type: z.string().max(16),
  path: z.string().max(1024).optional(),
  interval: z.string().max(32).optional(),
});

export const registrationRequest = z.object({
  ...baseRequest,
  registration: z.object({
    serviceId: z.string().min(1).max(128),
    host: z.string().max(253).optional(),
    port: z.number().int().min(0).max(65535),
    status: z.string().max(16).optional(),
    healthCheck,
    created: z.number().optional(),
    modified: z.number().optional(),
    lastConnected: z.number().optional(),
  }),
});
export type RegistrationRequest = z.infer<typeof registrationRequest>;

export const updateKeysRequest = z.object({ ...baseRequest, value: z.unknown() });

export const operationRequests = z
  .array(z.object({ ...baseRequest, serviceName: z.string().min(1).max(128), action: z.enum(['start', 'stop', 'restart']) }))
  .min(1)
  .max(1000);

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`10s`, `1m30s`, `500ms`) in ms; undefined when it is not one. */
export function goDurationMs(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit];
  return Math.round(ms);
}

/** Fields every EdgeX response starts with. */
export const base = (apiVersion: string, statusCode: number, message?: string): Record<string, unknown> => ({
  apiVersion,
  statusCode,
  ...(message !== undefined ? { message } : {}),
});

/** An error in EdgeX's ErrorResponse shape, with the HTTP status of its contract code. */
export function sendEdgexError(res: ServerResponse, apiVersion: string, err: unknown): void {
  const e = asSmaError(err);
  const status = httpStatusOf(e.code);
  sendJson(res, status, base(apiVersion, status, e.message));
}
