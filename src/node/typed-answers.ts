/**
 * What the two typed crossings between the threads of one `'per-node'` cluster share: the
 * replica Fetch between two node workers (`peer-fetch.ts`) and the calling thread's
 * Produce relayed to a node's worker (`cluster/relayed-produce.ts`). Both cross as the
 * typed objects of the one request language (a structured clone, the record batches in
 * transferred buffers), not as Kafka frames; so where the frame path decoded an answer
 * (and the decoder refused what did not parse), the receiver checks every field it reads
 * of the typed answer here, and refuses anything else with `CORRUPT_MESSAGE` naming the
 * sender. The requests are validated where they arrive as a client's are
 * (`validateRequest`: in `readPeerFetch`, and in the broker's `KafkaApis` for a Produce).
 *
 * Why the checks at all, between threads of one process: the other side is our own code,
 * but a worker that breaks (a bug, a port wired wrong, an object of another version) must
 * fail the request with a typed error, never hand a follower's log or a producer's
 * acknowledgement a `NaN`, a missing array or a partition that was not asked for.
 * @internal
 */
import type { ErrorCode } from '../protocol/common.js';
import { markChecksummedHere } from '../record/checksummed-here.js';
import { errorCodes } from '../util/error-codes.js';
import { TributaryError } from '../util/errors.js';

/** The error for an answer from `from` that fails a check: `why` says what it held. */
export function corruptAnswer(from: string, api: string, why: string): TributaryError {
  return new TributaryError('CORRUPT_MESSAGE', `${from} answered a ${api} with ${why}`);
}

/** A plain object (not null, not an array): what a typed answer's every level is. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An INT32 field (an index, an epoch, a time in ms). */
export const isInt32 = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= -0x8000_0000 && (v as number) <= 0x7fff_ffff;

/** An offset or a timestamp (INT64 as a safe integer), -1 included: answers say -1 for "none". */
export const isInt64 = (v: unknown): v is number => Number.isSafeInteger(v);

/** One of the error codes of Kafka's table (`util/error-codes.ts`), by name. */
export const isErrorCode = (v: unknown): v is ErrorCode => typeof v === 'string' && Object.hasOwn(errorCodes, v);

/** Puts this thread's checksummed-here mark on `batches` (a trusted port said the sender's thread had checked them). */
export function markBatches(batches: Iterable<Uint8Array>): void {
  for (const b of batches) if (b.length > 0) markChecksummedHere(b);
}
