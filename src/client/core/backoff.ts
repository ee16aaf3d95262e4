/**
 * Retry decisions shared by the clients, pure: Kafka's `ExponentialBackoff` (KIP-580),
 * which errors are worth retrying, and which mean "ask for metadata again". The shells'
 * timers (`delay`, `withTimeout`) are in `../retry.ts`, which re-exports these.
 */
import type { ErrorCode } from '../../util/error-codes.js';
import { errorCodes } from '../../util/error-codes.js';
import type { Rng } from '../../util/rng.js';

/**
 * Kafka's exponential backoff: `initialMs * 2^attempts`, capped at `maxMs`, then spread
 * by ±20% so that many clients retrying the same failure do not retry in lockstep. Attempt
 * 0 waits about `initialMs`.
 */
export function backoffMs(attempts: number, initialMs: number, maxMs: number, rng: Rng): number {
  if (initialMs === 0) return 0;
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(attempts, 30));
  const jitter = 0.8 + rng.float() * 0.4;
  return Math.max(0, Math.min(maxMs, Math.round(exp * jitter)));
}

/**
 * The errors after which a client's view of where partitions live may be stale, so it
 * refreshes its metadata before retrying (Kafka's `InvalidMetadataException` family).
 */
const staleMetadataErrors: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'NETWORK_EXCEPTION',
  'REPLICA_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
  'UNKNOWN_TOPIC_ID',
  'INCONSISTENT_TOPIC_ID',
]);

/** Whether an error means the metadata may be stale. */
export function isStaleMetadataError(code: ErrorCode): boolean {
  return staleMetadataErrors.has(code);
}

/** Whether retrying the same request may succeed (Kafka's `RetriableException`). */
export function isRetriable(code: ErrorCode): boolean {
  return errorCodes[code].retriable;
}
