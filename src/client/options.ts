/**
 * The options of the producer and the consumer, their defaults (Kafka's, with Kafka's
 * config names in each option's TSDoc) and their validation. Every bad option is a
 * `TributaryError('INVALID_CONFIG')` whose `option` names it and whose message says what
 * was expected and what was given: `lingerMs must be a non-negative integer, got -1`.
 */
import type { CompressionType } from '../record/batch.js';
import { compressionTypes } from '../record/batch.js';
import { TributaryError } from '../util/errors.js';
import type { Partitioner } from './partitioner.js';

/**
 * Options of a {@link Producer}. Every field is optional; the defaults are Kafka 3.x's.
 *
 * @example
 * ```ts
 * import type { ProducerOptions } from 'tributary-log';
 *
 * const options: ProducerOptions = { acks: 'all', lingerMs: 5, compression: 'zstd' };
 * console.log(options.lingerMs); // 5
 * ```
 */
export interface ProducerOptions {
  /** `client.id`: a name for this producer, in logs and errors. Default `'tributary-producer'`. */
  readonly clientId?: string;
  /**
   * `acks`: 0 resolves once the request is handed over (no offset: -1), 1 once the leader
   * appended, `'all'` (or -1) once every in-sync replica has. Default `'all'`.
   */
  readonly acks?: 0 | 1 | -1 | 'all';
  /**
   * `enable.idempotence`: a producer id and per-partition sequence numbers, so that a
   * retried batch is written once and batches stay in order. Needs `acks: 'all'`. Default:
   * true with `acks: 'all'`, false otherwise (as Kafka 3.2+ does when it is not set).
   */
  readonly idempotent?: boolean;
  /** `batch.size`: the bytes of records one batch gathers before it is sent. Default 16384. */
  readonly batchSize?: number;
  /**
   * `linger.ms`: how long a batch that is not full waits for more records. With 0 (the
   * default), a batch is sent as soon as a request may go, and records that arrive while
   * requests are in flight gather in the next batch.
   */
  readonly lingerMs?: number;
  /** `compression.type`: `'none'` (default), `'gzip'`, `'snappy'`, `'lz4'` or `'zstd'`. */
  readonly compression?: CompressionType;
  /** `buffer.memory`: the bytes of records waiting to be acknowledged, at most. Default 32 MiB. */
  readonly bufferMemory?: number;
  /** `max.block.ms`: how long `send` waits for buffer space or for a topic's metadata. Default 60000. */
  readonly maxBlockMs?: number;
  /** `max.request.size`: the largest request, and so the largest record. Default 1048576. */
  readonly maxRequestSize?: number;
  /** `delivery.timeout.ms`: the most time between `send` and its result, retries included. Default 120000. */
  readonly deliveryTimeoutMs?: number;
  /** `request.timeout.ms`: how long to wait for one response before retrying. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** `retry.backoff.ms`: the first wait before a retry (it doubles, with jitter). Default 100. */
  readonly retryBackoffMs?: number;
  /** `retry.backoff.max.ms`: the longest wait before a retry. Default 1000. */
  readonly retryBackoffMaxMs?: number;
  /** `max.in.flight.requests.per.connection`: requests in flight per partition, at most 5 with idempotence. Default 5. */
  readonly maxInFlight?: number;
  /** `metadata.max.age.ms`: refresh cached metadata at least this often. Default 300000. */
  readonly metadataMaxAgeMs?: number;
  /** `partitioner.class`: chooses the partition of records without an explicit one. Default: murmur2 of the key, sticky for null keys. */
  readonly partitioner?: Partitioner;
  /** The seed of the sticky partitioner's choices, for reproducible tests. Default: from the clock. */
  readonly randomSeed?: number;
}

/** Producer options with every default filled in. @internal */
export interface ResolvedProducerOptions {
  readonly clientId: string;
  /** 0, 1 or -1, as the wire carries it. */
  readonly acks: 0 | 1 | -1;
  readonly idempotent: boolean;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly compression: CompressionType;
  readonly bufferMemory: number;
  readonly maxBlockMs: number;
  readonly maxRequestSize: number;
  readonly deliveryTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly maxInFlight: number;
  readonly metadataMaxAgeMs: number;
  readonly partitioner: Partitioner | undefined;
  readonly randomSeed: number | undefined;
}

/** Kafka's cap on in-flight requests for an idempotent producer: the broker remembers the last 5 batches. */
export const idempotentInFlightMax = 5;

/**
 * Where `auto.offset.reset` sends a consumer whose position is out of range.
 *
 * @example
 * ```ts
 * import { Cluster, type AutoOffsetReset } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * // Fail with OFFSET_OUT_OF_RANGE instead of silently jumping when records were deleted under us.
 * const autoOffsetReset: AutoOffsetReset = 'none';
 * const consumer = cluster.consumer({ autoOffsetReset });
 * consumer.assign([{ topic: 'orders', partition: 0 }]);
 * await consumer.seek({ topic: 'orders', partition: 0 }, 0);
 * await consumer.close();
 * ```
 */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

/**
 * Options of a {@link Consumer}. Every field is optional; the defaults are Kafka's.
 *
 * @example
 * ```ts
 * import type { ConsumerOptions } from 'tributary-log';
 *
 * const options: ConsumerOptions = { maxWaitMs: 100, autoOffsetReset: 'earliest' };
 * console.log(options.autoOffsetReset); // earliest
 * ```
 */
export interface ConsumerOptions {
  /** `client.id`. Default `'tributary-consumer'`. */
  readonly clientId?: string;
  /** `fetch.max.wait.ms`: how long the broker may hold a fetch waiting for `minBytes`. Default 500. */
  readonly maxWaitMs?: number;
  /** `fetch.min.bytes`: the broker answers once this many bytes are there. Default 1. */
  readonly minBytes?: number;
  /** `fetch.max.bytes`: the most bytes in one fetch response (one batch more if the first is larger). Default 52428800. */
  readonly maxBytes?: number;
  /** `max.partition.fetch.bytes`: the most bytes one partition adds to a response. Default 1048576. */
  readonly maxPartitionBytes?: number;
  /** `auto.offset.reset`: where to go when the position is out of range, or `'none'` to fail with `OFFSET_OUT_OF_RANGE`. Default `'latest'`. */
  readonly autoOffsetReset?: AutoOffsetReset;
  /** `check.crcs`: verify every batch's CRC-32C. Default true. */
  readonly checkCrcs?: boolean;
  /** `request.timeout.ms`: how long to wait for a response beyond `maxWaitMs`. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** `retry.backoff.ms`. Default 100. */
  readonly retryBackoffMs?: number;
  /** `retry.backoff.max.ms`. Default 1000. */
  readonly retryBackoffMaxMs?: number;
  /** `metadata.max.age.ms`. Default 300000. */
  readonly metadataMaxAgeMs?: number;
}

/** Consumer options with every default filled in. @internal */
export interface ResolvedConsumerOptions {
  readonly clientId: string;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly maxPartitionBytes: number;
  readonly autoOffsetReset: AutoOffsetReset;
  readonly checkCrcs: boolean;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly metadataMaxAgeMs: number;
}

/** Kafka's producer defaults (3.x). @internal */
export const producerDefaults = Object.freeze({
  clientId: 'tributary-producer',
  batchSize: 16_384,
  lingerMs: 0,
  compression: 'none' as CompressionType,
  bufferMemory: 32 * 1024 * 1024,
  maxBlockMs: 60_000,
  maxRequestSize: 1024 * 1024,
  deliveryTimeoutMs: 120_000,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1000,
  maxInFlight: 5,
  metadataMaxAgeMs: 300_000,
});

/** Kafka's consumer defaults. @internal */
export const consumerDefaults = Object.freeze({
  clientId: 'tributary-consumer',
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 50 * 1024 * 1024,
  maxPartitionBytes: 1024 * 1024,
  autoOffsetReset: 'latest' as AutoOffsetReset,
  checkCrcs: true,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1000,
  metadataMaxAgeMs: 300_000,
});

/** The longest time any option may name: 2^31 - 1 ms, the most a Node timer can wait. */
const durationMsMax = 2 ** 31 - 1;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

/** @internal */
export function invalidConfig(option: string, expected: string, got: unknown): TributaryError {
  return new TributaryError('INVALID_CONFIG', `${option} ${expected}, got ${describe(got)}`, { option });
}

/** An integer in [min, max], or the default when absent. */
function integer(options: object, option: string, fallback: number, min: number, max: number, words: string): number {
  const value = (options as Record<string, unknown>)[option];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalidConfig(option, `must be ${words}`, value);
  return value;
}

function oneOf<T>(options: object, option: string, fallback: T, allowed: readonly T[]): T {
  const value = (options as Record<string, unknown>)[option];
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw invalidConfig(option, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  return value as T;
}

function bool(options: object, option: string, fallback: boolean): boolean {
  const value = (options as Record<string, unknown>)[option];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidConfig(option, 'must be true or false', value);
  return value;
}

function text(options: object, option: string, fallback: string): string {
  const value = (options as Record<string, unknown>)[option];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) throw invalidConfig(option, 'must be a non-empty string of at most 255 characters', value);
  return value;
}

function checkKnown(options: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TributaryError('INVALID_CONFIG', `${key} is not a ${what} option (known: ${known.join(', ')})`, { option: key });
    }
  }
}

const producerOptionNames = [
  'clientId', 'acks', 'idempotent', 'batchSize', 'lingerMs', 'compression', 'bufferMemory', 'maxBlockMs', 'maxRequestSize',
  'deliveryTimeoutMs', 'requestTimeoutMs', 'retryBackoffMs', 'retryBackoffMaxMs', 'maxInFlight', 'metadataMaxAgeMs',
  'partitioner', 'randomSeed',
] as const;

/**
 * Checks every producer option and fills in the defaults. Throws `INVALID_CONFIG` naming
 * the first bad option. The cross-option rules are Kafka's: idempotence needs acks=all and
 * at most 5 requests in flight; `deliveryTimeoutMs` must cover `lingerMs + requestTimeoutMs`;
 * a batch cannot be larger than a request, nor a request than the buffer.
 * @internal
 */
export function resolveProducerOptions(options: ProducerOptions = {}): ResolvedProducerOptions {
  if (typeof options !== 'object' || options === null) throw invalidConfig('options', 'must be an object', options);
  checkKnown(options, producerOptionNames, 'producer');
  const d = producerDefaults;
  const rawAcks = oneOf<0 | 1 | -1 | 'all'>(options, 'acks', 'all', [0, 1, -1, 'all']);
  const acks: 0 | 1 | -1 = rawAcks === 'all' ? -1 : rawAcks;
  const explicitIdempotent = options.idempotent;
  const idempotent = bool(options, 'idempotent', acks === -1);
  if (idempotent && acks !== -1 && explicitIdempotent === true) throw invalidConfig('idempotent', 'needs acks "all" (an idempotent producer waits for every in-sync replica)', true);
  const maxInFlight = integer(options, 'maxInFlight', d.maxInFlight, 1, 1000, 'an integer from 1 to 1000');
  if (idempotent && maxInFlight > idempotentInFlightMax) {
    throw invalidConfig('maxInFlight', `must be at most ${idempotentInFlightMax} with idempotence (the broker remembers ${idempotentInFlightMax} batches)`, maxInFlight);
  }
  const maxRequestSize = integer(options, 'maxRequestSize', d.maxRequestSize, 1024, 100 * 1024 * 1024, 'an integer from 1024 to 104857600');
  const bufferMemory = integer(options, 'bufferMemory', d.bufferMemory, 1024, 2 ** 40, 'an integer of at least 1024');
  const batchSize = integer(options, 'batchSize', d.batchSize, 0, maxRequestSize, `an integer from 0 to maxRequestSize (${maxRequestSize})`);
  if (maxRequestSize > bufferMemory) throw invalidConfig('maxRequestSize', `must be at most bufferMemory (${bufferMemory})`, maxRequestSize);
  const lingerMs = integer(options, 'lingerMs', d.lingerMs, 0, durationMsMax, 'a non-negative integer');
  const requestTimeoutMs = integer(options, 'requestTimeoutMs', d.requestTimeoutMs, 1, durationMsMax, 'a positive integer');
  const deliveryTimeoutMs = integer(options, 'deliveryTimeoutMs', d.deliveryTimeoutMs, 1, durationMsMax, 'a positive integer');
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs && options.deliveryTimeoutMs !== undefined) {
    throw invalidConfig('deliveryTimeoutMs', `must be at least lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs})`, deliveryTimeoutMs);
  }
  const retryBackoffMs = integer(options, 'retryBackoffMs', d.retryBackoffMs, 0, durationMsMax, 'a non-negative integer');
  const retryBackoffMaxMs = integer(options, 'retryBackoffMaxMs', Math.max(d.retryBackoffMaxMs, retryBackoffMs), 0, durationMsMax, 'a non-negative integer');
  if (retryBackoffMaxMs < retryBackoffMs) throw invalidConfig('retryBackoffMaxMs', `must be at least retryBackoffMs (${retryBackoffMs})`, retryBackoffMaxMs);
  const partitioner = options.partitioner;
  if (partitioner !== undefined && typeof partitioner !== 'function') throw invalidConfig('partitioner', 'must be a function', partitioner);
  const randomSeed = options.randomSeed;
  if (randomSeed !== undefined && (typeof randomSeed !== 'number' || !Number.isInteger(randomSeed))) throw invalidConfig('randomSeed', 'must be an integer', randomSeed);
  return {
    clientId: text(options, 'clientId', d.clientId),
    acks,
    idempotent,
    batchSize,
    lingerMs,
    compression: oneOf<CompressionType>(options, 'compression', d.compression, compressionTypes),
    bufferMemory,
    maxBlockMs: integer(options, 'maxBlockMs', d.maxBlockMs, 0, durationMsMax, 'a non-negative integer'),
    maxRequestSize,
    deliveryTimeoutMs,
    requestTimeoutMs,
    retryBackoffMs,
    retryBackoffMaxMs,
    maxInFlight,
    metadataMaxAgeMs: integer(options, 'metadataMaxAgeMs', d.metadataMaxAgeMs, 0, durationMsMax, 'a non-negative integer'),
    partitioner,
    randomSeed,
  };
}

const consumerOptionNames = [
  'clientId', 'maxWaitMs', 'minBytes', 'maxBytes', 'maxPartitionBytes', 'autoOffsetReset', 'checkCrcs',
  'requestTimeoutMs', 'retryBackoffMs', 'retryBackoffMaxMs', 'metadataMaxAgeMs',
] as const;

/**
 * Checks every consumer option and fills in the defaults. Throws `INVALID_CONFIG` naming
 * the first bad option.
 * @internal
 */
export function resolveConsumerOptions(options: ConsumerOptions = {}): ResolvedConsumerOptions {
  if (typeof options !== 'object' || options === null) throw invalidConfig('options', 'must be an object', options);
  checkKnown(options, consumerOptionNames, 'consumer');
  const d = consumerDefaults;
  const maxBytes = integer(options, 'maxBytes', d.maxBytes, 1, 100 * 1024 * 1024, 'an integer from 1 to 104857600');
  const retryBackoffMs = integer(options, 'retryBackoffMs', d.retryBackoffMs, 0, durationMsMax, 'a non-negative integer');
  const retryBackoffMaxMs = integer(options, 'retryBackoffMaxMs', Math.max(d.retryBackoffMaxMs, retryBackoffMs), 0, durationMsMax, 'a non-negative integer');
  if (retryBackoffMaxMs < retryBackoffMs) throw invalidConfig('retryBackoffMaxMs', `must be at least retryBackoffMs (${retryBackoffMs})`, retryBackoffMaxMs);
  return {
    clientId: text(options, 'clientId', d.clientId),
    maxWaitMs: integer(options, 'maxWaitMs', d.maxWaitMs, 0, durationMsMax, 'a non-negative integer'),
    minBytes: integer(options, 'minBytes', d.minBytes, 0, maxBytes, `an integer from 0 to maxBytes (${maxBytes})`),
    maxBytes,
    maxPartitionBytes: integer(options, 'maxPartitionBytes', d.maxPartitionBytes, 1, 100 * 1024 * 1024, 'an integer from 1 to 104857600'),
    autoOffsetReset: oneOf<AutoOffsetReset>(options, 'autoOffsetReset', d.autoOffsetReset, ['earliest', 'latest', 'none']),
    checkCrcs: bool(options, 'checkCrcs', d.checkCrcs),
    requestTimeoutMs: integer(options, 'requestTimeoutMs', d.requestTimeoutMs, 1, durationMsMax, 'a positive integer'),
    retryBackoffMs,
    retryBackoffMaxMs,
    metadataMaxAgeMs: integer(options, 'metadataMaxAgeMs', d.metadataMaxAgeMs, 0, durationMsMax, 'a non-negative integer'),
  };
}
