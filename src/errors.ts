// Errors as values carrying the contract's codes (CONTRACT section 5); fronts map them to their protocol.
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  /** Beyond the contract's list: a create of something that exists (Keeper's POST /registry answers 409). */
  | 'CONFLICT'
  | 'TIMEOUT'
  | 'EXECUTOR_FAILED'
  | 'UNAVAILABLE'
  | 'INTERRUPTED'
  | 'INTERNAL';

export class SmaError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SmaError';
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const invalidRequest = (message: string): SmaError => new SmaError('INVALID_REQUEST', message);
export const notFound = (message: string): SmaError => new SmaError('NOT_FOUND', message);
export const conflict = (message: string): SmaError => new SmaError('CONFLICT', message);
export const unavailable = (message: string): SmaError => new SmaError('UNAVAILABLE', message);
export const executorFailed = (message: string): SmaError => new SmaError('EXECUTOR_FAILED', message);
export const timeoutError = (message: string): SmaError => new SmaError('TIMEOUT', message);

/** Any thrown thing as a contract error; unknown failures become INTERNAL. */
export function asSmaError(err: unknown): SmaError {
  if (err instanceof SmaError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SmaError('INTERNAL', message);
}
