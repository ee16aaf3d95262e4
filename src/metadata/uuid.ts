/**
 * Kafka's `Uuid` lives in `util/uuid.ts`, below the protocol layer that carries it on the
 * wire; this module keeps the metadata layer's old import path.
 * @internal
 */
export * from '../util/uuid.js';
