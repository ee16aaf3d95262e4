import { effectiveTopicConfig } from '../metadata/configs.js';
import type { MetadataView } from '../metadata/image.js';
import type { CleanupPolicy, LogConfig } from '../storage/log.js';
import type { CompressionType, TimestampType } from '../record/batch.js';
import { compressionTarget } from './recompression.js';

const longMax = 9223372036854775807;

/**
 * A topic's log settings, from its configs in the metadata (its own, else the dynamic
 * value of broker `broker`, a broker id as a resource name, else the cluster's dynamic
 * default, else Kafka's default). Kafka's flush settings map to the log's flush
 * policy: `flush.messages=1` is `always` (fsync before acknowledging), a finite `flush.ms`
 * is `interval`, and Kafka's defaults (both unbounded) are `os`.
 * @internal
 */
export function logConfigFor(view: MetadataView, topic: string, broker?: string): Partial<LogConfig> {
  const get = (name: string): string => effectiveTopicConfig(view, topic, name, broker).value;
  const num = (name: string): number => {
    const n = Number(get(name));
    return n >= longMax ? Number.MAX_SAFE_INTEGER : n;
  };
  const flushMessages = num('flush.messages');
  const flushMs = num('flush.ms');
  return {
    segmentBytes: num('segment.bytes'),
    segmentMs: num('segment.ms'),
    indexIntervalBytes: num('index.interval.bytes'),
    segmentIndexBytes: num('segment.index.bytes'),
    retentionMs: num('retention.ms'),
    retentionBytes: num('retention.bytes'),
    maxMessageBytes: num('max.message.bytes'),
    cleanupPolicy: get('cleanup.policy').split(',').map((s) => s.trim()).sort().join(',') as CleanupPolicy,
    deleteRetentionMs: num('delete.retention.ms'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    minCleanableDirtyRatio: Number(get('min.cleanable.dirty.ratio')),
    messageTimestampType: get('message.timestamp.type') as TimestampType,
    messageTimestampBeforeMaxMs: num('message.timestamp.before.max.ms'),
    messageTimestampAfterMaxMs: num('message.timestamp.after.max.ms'),
    // The log keeps each batch as it is given; the topic's compression.type is applied
    // before, on the leader's append (compressionTargetFor, recompression.ts).
    compressionType: 'producer',
    flushPolicy: flushMessages <= 1 ? 'always' : flushMs < Number.MAX_SAFE_INTEGER ? 'interval' : 'os',
    ...(flushMs < Number.MAX_SAFE_INTEGER ? { flushIntervalMs: Math.max(1, flushMs) } : {}),
  };
}

/** `min.insync.replicas` of a topic. */
export function minInsyncReplicasFor(view: MetadataView, topic: string, broker?: string): number {
  return Number(effectiveTopicConfig(view, topic, 'min.insync.replicas', broker).value);
}

/**
 * The codec a topic's batches are stored in, from its effective `compression.type` (its
 * own, else the cluster-wide `compression.type`, else Kafka's default `producer`), or
 * undefined for `producer`: keep the producer's codec.
 */
export function compressionTargetFor(view: MetadataView, topic: string, broker?: string): CompressionType | undefined {
  return compressionTarget(effectiveTopicConfig(view, topic, 'compression.type', broker).value);
}

/**
 * The level a topic's batches are rebuilt at in `type` (KIP-390: its effective
 * `compression.gzip.level` or `compression.zstd.level`), or undefined for a codec whose
 * level Tributary cannot set (snappy has none; lz4's implementations here compress at one
 * fixed speed, so `compression.lz4.level` is accepted and not applied).
 */
export function compressionLevelFor(view: MetadataView, topic: string, type: CompressionType, broker?: string): number | undefined {
  const name = type === 'gzip' ? 'compression.gzip.level' : type === 'zstd' ? 'compression.zstd.level' : undefined;
  if (name === undefined) return undefined;
  const level = Number(effectiveTopicConfig(view, topic, name, broker).value);
  return Number.isInteger(level) ? level : undefined;
}
