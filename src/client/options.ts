/**
 * The options of the producer and the consumer, their defaults (Kafka's, with Kafka's
 * config names in each option's TSDoc) and their validation. Every bad option is a
 * `TributaryError('INVALID_CONFIG')` whose `option` names it and whose message says what
 * was expected and what was given: `lingerMs must be a non-negative integer, got -1`.
 */
import type { CompressionType } from '../record/batch.js';
import { compressionTypes } from '../record/batch.js';
import { bool, checkOptions, custom, durationMs, func, int, invalidConfig, oneOf, str, type OptionRules } from '../util/options.js';
import type { SenderOptions } from './core/sender.js';
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
   * default; Kafka's before 4.0, which made it 5), a batch is sent as soon as a request may
   * go, and records that arrive while requests are in flight gather in the next batch.
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
export interface ResolvedProducerOptions extends SenderOptions {
  readonly clientId: string;
  readonly batchSize: number;
  readonly compression: CompressionType;
  readonly bufferMemory: number;
  readonly maxBlockMs: number;
  readonly metadataMaxAgeMs: number;
  readonly partitioner: Partitioner | undefined;
  readonly randomSeed: number | undefined;
  /** The producer's Metadata requests let the broker create missing topics (Kafka's producer always does). */
  readonly allowAutoTopicCreation: true;
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
  /**
   * `check.crcs`: verify every fetched batch's CRC-32C. Default: verified when the bytes
   * came from another process (over TCP, or any transport that does not reach a cluster in
   * this process), not verified from a cluster in this process (inline or in a worker),
   * whose leader checked every batch's CRC where it entered the cluster. `true` verifies
   * always (say, to catch a disk that corrupts data at rest), `false` never.
   */
  readonly checkCrcs?: boolean;
  /** `request.timeout.ms`: how long to wait for a response beyond `maxWaitMs`. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** `retry.backoff.ms`. Default 100. */
  readonly retryBackoffMs?: number;
  /** `retry.backoff.max.ms`. Default 1000. */
  readonly retryBackoffMaxMs?: number;
  /** `metadata.max.age.ms`. Default 300000. */
  readonly metadataMaxAgeMs?: number;
  /**
   * `allow.auto.create.topics`: whether assigning a topic that does not exist creates it
   * (when the cluster's `autoCreateTopics` allows). Default false, as librdkafka's (Kafka's
   * Java consumer defaults to true; a consumer that creates what it meant to read hides typos).
   */
  readonly allowAutoCreateTopics?: boolean;
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
  readonly allowAutoTopicCreation: boolean;
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

// The one validation helper (tables of rules, "did you mean" for unknown names) is shared
// with every other options parser; this file keeps the tables and the rules between options.
export { invalidConfig };

/** Names users bring from KafkaJS or Kafka's Java client, mapped to ours. */
const producerAliases: Record<string, string> = {
  linger: 'lingerMs', 'linger.ms': 'lingerMs', 'batch.size': 'batchSize', 'compression.type': 'compression', compressionType: 'compression',
  idempotence: 'idempotent', enableIdempotence: 'idempotent', 'enable.idempotence': 'idempotent', maxInFlightRequests: 'maxInFlight',
  'client.id': 'clientId', timeout: 'requestTimeoutMs', requestTimeout: 'requestTimeoutMs', retry: 'retryBackoffMs', createPartitioner: 'partitioner',
};

const producerRules: OptionRules = {
  clientId: str(),
  acks: oneOf([0, 1, -1, 'all']),
  idempotent: bool,
  batchSize: int(0, 100 * 1024 * 1024),
  lingerMs: durationMs(),
  compression: oneOf(compressionTypes),
  bufferMemory: int(1024, 2 ** 40, 'an integer of at least 1024'),
  maxBlockMs: durationMs(),
  maxRequestSize: int(1024, 100 * 1024 * 1024),
  deliveryTimeoutMs: durationMs(1),
  requestTimeoutMs: durationMs(1),
  retryBackoffMs: durationMs(),
  retryBackoffMaxMs: durationMs(),
  maxInFlight: int(1, 1000),
  metadataMaxAgeMs: durationMs(),
  partitioner: func,
  randomSeed: custom('an integer', (v) => typeof v === 'number' && Number.isSafeInteger(v)),
};

/**
 * Checks every producer option and fills in the defaults. Throws `INVALID_CONFIG` naming
 * the first bad option. The cross-option rules are Kafka's: idempotence needs acks=all and
 * at most 5 requests in flight; `deliveryTimeoutMs` must cover `lingerMs + requestTimeoutMs`;
 * a batch cannot be larger than a request, nor a request than the buffer.
 * @internal
 */
export function resolveProducerOptions(options: ProducerOptions = {}): ResolvedProducerOptions {
  checkOptions(options, producerRules, 'a producer', { aliases: producerAliases });
  const d = producerDefaults;
  const rawAcks = options.acks ?? 'all';
  const acks: 0 | 1 | -1 = rawAcks === 'all' ? -1 : rawAcks;
  const idempotent = options.idempotent ?? acks === -1;
  if (idempotent && acks !== -1) throw invalidConfig('idempotent', `needs acks "all" (an idempotent producer waits for every in-sync replica); for acks ${String(rawAcks)} pass idempotent: false`, { acks: rawAcks, idempotent });
  const maxInFlight = options.maxInFlight ?? d.maxInFlight;
  if (idempotent && maxInFlight > idempotentInFlightMax) {
    throw invalidConfig('maxInFlight', `must be at most ${idempotentInFlightMax} with idempotence (the broker remembers ${idempotentInFlightMax} batches)`, maxInFlight);
  }
  const maxRequestSize = options.maxRequestSize ?? d.maxRequestSize;
  const bufferMemory = options.bufferMemory ?? d.bufferMemory;
  if (maxRequestSize > bufferMemory) throw invalidConfig('maxRequestSize', `must be at most bufferMemory (${bufferMemory})`, maxRequestSize);
  const batchSize = options.batchSize ?? d.batchSize;
  if (batchSize > maxRequestSize) throw invalidConfig('batchSize', `must be an integer from 0 to maxRequestSize (${maxRequestSize})`, batchSize);
  const lingerMs = options.lingerMs ?? d.lingerMs;
  const requestTimeoutMs = options.requestTimeoutMs ?? d.requestTimeoutMs;
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? d.deliveryTimeoutMs;
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs && options.deliveryTimeoutMs !== undefined) {
    throw invalidConfig('deliveryTimeoutMs', `must be at least lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs})`, deliveryTimeoutMs);
  }
  const retryBackoffMs = options.retryBackoffMs ?? d.retryBackoffMs;
  const retryBackoffMaxMs = options.retryBackoffMaxMs ?? Math.max(d.retryBackoffMaxMs, retryBackoffMs);
  if (retryBackoffMaxMs < retryBackoffMs) throw invalidConfig('retryBackoffMaxMs', `must be at least retryBackoffMs (${retryBackoffMs})`, retryBackoffMaxMs);
  return {
    clientId: options.clientId ?? d.clientId,
    acks,
    idempotent,
    batchSize,
    lingerMs,
    compression: options.compression ?? d.compression,
    bufferMemory,
    maxBlockMs: options.maxBlockMs ?? d.maxBlockMs,
    maxRequestSize,
    deliveryTimeoutMs,
    requestTimeoutMs,
    retryBackoffMs,
    retryBackoffMaxMs,
    maxInFlight,
    metadataMaxAgeMs: options.metadataMaxAgeMs ?? d.metadataMaxAgeMs,
    partitioner: options.partitioner,
    randomSeed: options.randomSeed,
    allowAutoTopicCreation: true,
  };
}

/** Names users bring from KafkaJS or Kafka's Java client, mapped to ours. */
const consumerAliases: Record<string, string> = {
  from: 'autoOffsetReset', fromBeginning: 'autoOffsetReset', 'auto.offset.reset': 'autoOffsetReset', offsetReset: 'autoOffsetReset',
  maxWaitTimeInMs: 'maxWaitMs', 'fetch.max.wait.ms': 'maxWaitMs', 'fetch.min.bytes': 'minBytes', 'fetch.max.bytes': 'maxBytes',
  maxBytesPerPartition: 'maxPartitionBytes', 'max.partition.fetch.bytes': 'maxPartitionBytes', 'allow.auto.create.topics': 'allowAutoCreateTopics', allowAutoTopicCreation: 'allowAutoCreateTopics', 'client.id': 'clientId', 'check.crcs': 'checkCrcs',
};
/** KafkaJS's `kafka.consumer({ groupId })` and Java's `group.id` are a group member here. */
const groupHint = 'a member of a consumer group is cluster.consumerGroup({ groupId, topics }); a consumer reads the partitions it is assigned';
const consumerHints: Record<string, string> = { groupId: groupHint, 'group.id': groupHint };

const consumerRules: OptionRules = {
  clientId: str(),
  maxWaitMs: durationMs(),
  minBytes: int(0, 100 * 1024 * 1024),
  maxBytes: int(1, 100 * 1024 * 1024),
  maxPartitionBytes: int(1, 100 * 1024 * 1024),
  autoOffsetReset: oneOf(['earliest', 'latest', 'none']),
  checkCrcs: bool,
  requestTimeoutMs: durationMs(1),
  retryBackoffMs: durationMs(),
  retryBackoffMaxMs: durationMs(),
  metadataMaxAgeMs: durationMs(),
  allowAutoCreateTopics: bool,
};

/**
 * Checks every consumer option and fills in the defaults. Throws `INVALID_CONFIG` naming
 * the first bad option.
 * @internal
 */
export function resolveConsumerOptions(options: ConsumerOptions = {}): ResolvedConsumerOptions {
  checkOptions(options, consumerRules, 'a consumer', { aliases: consumerAliases, hints: consumerHints });
  const d = consumerDefaults;
  const maxBytes = options.maxBytes ?? d.maxBytes;
  const minBytes = options.minBytes ?? d.minBytes;
  if (minBytes > maxBytes) throw invalidConfig('minBytes', `must be an integer from 0 to maxBytes (${maxBytes})`, minBytes);
  const retryBackoffMs = options.retryBackoffMs ?? d.retryBackoffMs;
  const retryBackoffMaxMs = options.retryBackoffMaxMs ?? Math.max(d.retryBackoffMaxMs, retryBackoffMs);
  if (retryBackoffMaxMs < retryBackoffMs) throw invalidConfig('retryBackoffMaxMs', `must be at least retryBackoffMs (${retryBackoffMs})`, retryBackoffMaxMs);
  return {
    clientId: options.clientId ?? d.clientId,
    maxWaitMs: options.maxWaitMs ?? d.maxWaitMs,
    minBytes,
    maxBytes,
    maxPartitionBytes: options.maxPartitionBytes ?? d.maxPartitionBytes,
    autoOffsetReset: options.autoOffsetReset ?? d.autoOffsetReset,
    checkCrcs: options.checkCrcs ?? d.checkCrcs,
    requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    retryBackoffMs,
    retryBackoffMaxMs,
    metadataMaxAgeMs: options.metadataMaxAgeMs ?? d.metadataMaxAgeMs,
    allowAutoTopicCreation: options.allowAutoCreateTopics ?? false,
  };
}
