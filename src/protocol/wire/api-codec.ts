/**
 * The mapping between Kafka's error numbers and Tributary's error names, which every
 * description's `map: 'error'` field uses (`plan.ts`).
 * @internal
 */
import { errorCodeFromNumber, errorCodes, type ErrorCode } from '../../util/error-codes.js';

/** The number an error goes over the wire as (Tributary-only codes map to a Kafka code). */
export function errorToWire(code: ErrorCode): number {
  return errorCodes[code].wireCode;
}

/** The name of an error number read from the wire; unknown numbers are `UNKNOWN_SERVER_ERROR`. */
export function errorFromWire(code: number): ErrorCode {
  return errorCodeFromNumber(code);
}
