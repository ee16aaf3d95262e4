/**
 * Tributary: Kafka inside your Node.js process.
 *
 * This file is the list of the public API; everything not exported here is internal.
 * @packageDocumentation
 */
export { TributaryError, isTributaryError, type TributaryErrorContext } from './util/errors.js';
export { errorCodes, type ErrorCode, type ErrorCodeInfo } from './util/error-codes.js';
