// The `http` check: GET the URL; 2xx passes, unless a JSON body carries a `status` other than "UP".
import type { Clock } from '../clock.js';
import type { CheckOutcome } from './check-outcome.js';
import { checkUrlRefusal } from '../policy/check-url.js';

/** Enough for any health document; a larger body is judged on what was read. */
const MAX_BODY = 64 * 1024;

export interface HttpProbeOptions {
  clock: Clock;
  timeoutMs: number;
  fetchImpl: typeof fetch;
  /** Aborts the probe when the supervisor closes. */
  closing: AbortSignal;
  /** Hosts beyond loopback that may be polled (`health.allowedHosts`). */
  allowedHosts: readonly string[];
}

export async function probeHttp(url: string, options: HttpProbeOptions): Promise<CheckOutcome> {
  // Records reach us from external registries too: the rule holds here, not only at registration.
  const refusal = checkUrlRefusal(url, options.allowedHosts);
  if (refusal) return { pass: false, detail: `not polled: ${refusal}` };
  const controller = new AbortController();
  // The time-out runs on the Clock port so tests can drive it; closing the supervisor aborts too.
  const cancelTimer = options.clock.setTimeout(() => controller.abort(), options.timeoutMs);
  const onClose = (): void => controller.abort();
  options.closing.addEventListener('abort', onClose);
  try {
    // A redirect is not followed: it could lead anywhere the URL rule would refuse. 3xx fails the check.
    const response = await options.fetchImpl(url, { signal: controller.signal, redirect: 'manual', headers: { accept: 'application/json, */*' } });
    const body = await readCapped(response);
    if (response.status < 200 || response.status > 299) return { pass: false, detail: `HTTP ${response.status}` };
    const status = reportedStatus(body, response.headers.get('content-type'));
    if (status !== undefined && status !== 'UP') return { pass: false, detail: `status ${status}` };
    return { pass: true };
  } catch (err) {
    if (controller.signal.aborted) return { pass: false, detail: `no answer within ${options.timeoutMs} ms` };
    return { pass: false, detail: describe(err) };
  } finally {
    cancelTimer();
    options.closing.removeEventListener('abort', onClose);
  }
}

/** The `status` field of a JSON object body, as a string, when there is one. */
export function reportedStatus(body: string, contentType: string | null): string | undefined {
  const text = body.trim();
  if (!(contentType ?? '').includes('json') && !text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || !('status' in parsed)) return undefined;
    return String((parsed as { status: unknown }).status);
  } catch {
    return undefined;
  }
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_BODY) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= MAX_BODY) await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8');
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    // undici hides the socket error (ECONNREFUSED and the like) in `cause`.
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message;
  }
  return String(err);
}
