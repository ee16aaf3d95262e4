/**
 * What the wire codec of one API provides, and the error-code mapping every codec uses.
 */
import { errorCodeFromNumber, errorCodes, type ErrorCode } from '../../util/error-codes.js';
import type { ApiKey } from '../api-keys.js';
import type { RequestOf, ResponseOf } from '../requests.js';
import type { WireReader } from './reader.js';
import type { WireWriter } from './writer.js';

/**
 * The body codec of one API, for every version in [`minVersion`, `maxVersion`]. Encoders
 * take a request or response that passed validation and write the fields `version`
 * carries; a value the version cannot express (a topic named only by id before Metadata
 * v10) is an `UNSUPPORTED_VERSION` error. Decoders fill what `version` does not carry with
 * Kafka's defaults, so the result is always a complete in-process value.
 */
export interface ApiCodec<K extends ApiKey> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  encodeRequest(w: WireWriter, request: RequestOf<K>, version: number): void;
  decodeRequest(r: WireReader, version: number): RequestOf<K>;
  encodeResponse(w: WireWriter, response: ResponseOf<K>, version: number): void;
  decodeResponse(r: WireReader, version: number): ResponseOf<K>;
}

/** The number an error goes over the wire as (Tributary-only codes map to a Kafka code). */
export function errorToWire(code: ErrorCode): number {
  return errorCodes[code].wireCode;
}

/** The name of an error number read from the wire; unknown numbers are `UNKNOWN_SERVER_ERROR`. */
export function errorFromWire(code: number): ErrorCode {
  return errorCodeFromNumber(code);
}
