/**
 * Checks of a partition log's inputs and config, and its small checkpoint files (read and
 * written through the log's `Store`), kept out of `partition-log.ts`.
 */
import { batchHeaderBytes } from '../record/batch.js';
import { TributaryError } from '../util/errors.js';
import type { LogConfig } from './log.js';
import type { Store } from './store.js';

export function validatePartition(partition: unknown, topic: string): asserts partition is number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff) {
    throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `partition must be an integer in [0, 2^31), got ${String(partition)}`, { topic });
  }
}

/** Checks every config value and names the option that is wrong. */
export function validateConfig(c: LogConfig): LogConfig {
  const bad = (option: string, why: string): never => {
    throw new TributaryError('INVALID_CONFIG', `${option}: ${why}`, { option });
  };
  const int = (option: keyof LogConfig, min: number): void => {
    const v = c[option];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(option, `must be an integer >= ${min}, got ${String(v)}`);
  };
  int('segmentBytes', batchHeaderBytes);
  if (c.segmentBytes > 0x7fffffff) bad('segmentBytes', 'must fit a 32-bit file position');
  int('segmentMs', 1);
  int('indexIntervalBytes', 0);
  // Room for a few entries of each index (Kafka's minimum is one entry).
  int('segmentIndexBytes', 64);
  int('retentionMs', -1);
  int('retentionBytes', -1);
  int('maxMessageBytes', 0);
  int('deleteRetentionMs', 0);
  int('minCompactionLagMs', 0);
  int('flushIntervalMs', 1);
  int('messageTimestampBeforeMaxMs', 0);
  int('messageTimestampAfterMaxMs', 0);
  if (!['delete', 'compact', 'compact,delete'].includes(c.cleanupPolicy)) bad('cleanupPolicy', `must be delete, compact or compact,delete, got ${String(c.cleanupPolicy)}`);
  if (!['always', 'interval', 'os'].includes(c.flushPolicy)) bad('flushPolicy', `must be always, interval or os, got ${String(c.flushPolicy)}`);
  if (!['CreateTime', 'LogAppendTime'].includes(c.messageTimestampType)) bad('messageTimestampType', `must be CreateTime or LogAppendTime`);
  if (c.compressionType !== 'producer') {
    bad(
      'compressionType',
      `must be 'producer' (a log stores each batch in the codec it was written in), got ${JSON.stringify(c.compressionType)}: a topic's compression.type (uncompressed, gzip, snappy, lz4, zstd) is applied by a cluster's partition leader before the append; on its own, write batches encoded in the codec you want (encodeBatch with { compression })`,
    );
  }
  if (typeof c.minCleanableDirtyRatio !== 'number' || !(c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1)) bad('minCleanableDirtyRatio', 'must be in [0, 1]');
  return Object.freeze({ ...c });
}

/**
 * An operating-system error (a folder that is a file, no permission, EIO) as
 * `KAFKA_STORAGE_ERROR`; typed errors (the lock, a bad config) and bugs pass through.
 */
export function asStorageError(err: unknown, what: string, context: { topic?: string; partition?: number } = {}): unknown {
  if (err instanceof TributaryError || !(err instanceof Error) || (err as NodeJS.ErrnoException).code === undefined) return err;
  return new TributaryError('KAFKA_STORAGE_ERROR', `${what}: ${err.message}`, { ...context, cause: err });
}

export function readNumberFile(store: Store, name: string): number | undefined {
  const bytes = store.readAll(name);
  if (bytes === undefined) return undefined;
  const text = bytes.toString('utf8').trim();
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

export function writeNumberFile(store: Store, name: string, value: number): void {
  store.writeAtomic(name, Buffer.from(`${value}\n`));
}
