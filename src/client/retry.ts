/**
 * Retry timing shared by the clients: the pure decisions (Kafka's `ExponentialBackoff`,
 * which errors are retriable or mean "ask for metadata again") live in `core/backoff.ts`;
 * the shells' timers come from `util/timeout.ts`.
 */
export { backoffMs, isRetriable, isStaleMetadataError } from './core/backoff.js';
export { delay, withTimeout } from '../util/timeout.js';
