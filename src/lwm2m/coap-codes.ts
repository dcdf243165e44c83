// Contract error codes and front failures as CoAP response codes.
import { SmaError, type ErrorCode } from '../errors.js';
import { DecodeError } from './content/node.js';
import { CoapFailure } from './objects/coap-failure.js';

const BY_ERROR_CODE: Partial<Record<ErrorCode, string>> = {
  INVALID_REQUEST: '4.00',
  FORBIDDEN: '4.03',
  NOT_FOUND: '4.04',
  // CoAP's 4.09 (RFC 8132) is not one LwM2M defines.
  CONFLICT: '4.00',
  UNAVAILABLE: '5.03',
  TIMEOUT: '5.04',
};

export const coapCodeOfError = (code: ErrorCode | string): string => BY_ERROR_CODE[code as ErrorCode] ?? '5.00';

export function coapCodeOf(err: unknown): string {
  if (err instanceof CoapFailure) return err.code;
  if (err instanceof DecodeError) return '4.00';
  if (err instanceof SmaError) return coapCodeOfError(err.code);
  return '5.00';
}

export const isSuccess = (code: string): boolean => code.startsWith('2.');
