// Reading request bodies and writing JSON answers, for every route module.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SmaError, type ErrorCode } from '../errors.js';
import { shapeRefusal } from '../security/untrusted-shape.js';

/** The contract's limit on any inbound payload (CONTRACT section 10). */
export const MAX_BODY_BYTES = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers).end();
}

/** The body as bytes; over `limit` it is refused as INVALID_REQUEST without reading the rest. */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new SmaError('INVALID_REQUEST', `request body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new SmaError('INVALID_REQUEST', `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body parsed as JSON; an empty or malformed body is INVALID_REQUEST. */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const raw = await readBody(req, limit);
  if (raw.length === 0) throw new SmaError('INVALID_REQUEST', 'request body is empty');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    throw new SmaError('INVALID_REQUEST', `request body is not JSON: ${(err as Error).message}`);
  }
  // Before any DTO schema walks it (the inbox checks again, for the bodies other fronts bring).
  const badShape = shapeRefusal(body);
  if (badShape) throw new SmaError('INVALID_REQUEST', `request body refused: ${badShape}`);
  return body;
}

const STATUS_OF_CODE: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  TIMEOUT: 504,
  EXECUTOR_FAILED: 500,
  UNAVAILABLE: 503,
  INTERRUPTED: 500,
  INTERNAL: 500,
};

/** The HTTP status a contract error code answers with. */
export const httpStatusOf = (code: ErrorCode | string): number => STATUS_OF_CODE[code as ErrorCode] ?? 500;
