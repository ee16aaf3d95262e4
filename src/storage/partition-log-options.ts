/**
 * The options of `PartitionLog.open` and the log's counters: public types of
 * partition-log.ts, kept apart so that the log's own file holds the log.
 */
import type { Clock } from '../util/clock.js';
import type { CompactionFaults } from './compaction.js';
import type { LogCheckpoints } from './log-checkpoints.js';
import type { LogConfig } from './log.js';
import type { Store } from './store.js';

/**
 * Options for {@link PartitionLog.open}.
 *
 * @example
 * ```ts
 * import { PartitionLog, SimulatedClock, type PartitionLogOptions } from 'tributary-log';
 *
 * const options: PartitionLogOptions = {
 *   dataDir: '/tmp/tributary-example',
 *   topic: 'orders',
 *   partition: 3,
 *   config: { segmentBytes: 64 * 1024 * 1024, retentionMs: 24 * 60 * 60 * 1000 },
 *   clock: new SimulatedClock(),
 * };
 * const log = await PartitionLog.open(options); // files in /tmp/tributary-example/orders-3
 * await log.close();
 * ```
 */
export interface PartitionLogOptions {
  /** The data folder; the log lives in `<dataDir>/<topic>-<partition>`. */
  readonly dataDir: string;
  /** Topic name, checked with Kafka's rule before any path is built. */
  readonly topic: string;
  /** Partition number, 0 to 2^31 - 1. */
  readonly partition: number;
  /** Overrides of `defaultLogConfig`. */
  readonly config?: Partial<LogConfig>;
  /** The clock for LogAppendTime and retention; `systemClock` by default. */
  readonly clock?: Clock;
  /** @internal Crash tests stop a compaction between its steps. */
  readonly faults?: CompactionFaults;
  /** @internal Opens the folder's store (fault-injection tests wrap the `FileStore`). */
  readonly openStore?: (dir: string) => Store;
  /** @internal Where the log's checkpoints live (a `LogManager` keeps them per data folder); its own folder by default. */
  readonly checkpoints?: (store: Store) => LogCheckpoints;
}

/**
 * Counters for benchmarks and monitoring.
 *
 * @example
 * ```ts
 * import { MemoryLog, encodeBatch, type LogStats } from 'tributary-log';
 *
 * const log = new MemoryLog({ topic: 'orders', partition: 0 });
 * log.write(await encodeBatch([{ value: Buffer.from('a') }]));
 * log.write(await encodeBatch([{ value: Buffer.from('b') }]));
 * const stats: LogStats = log.stats;
 * console.log(stats.batches); // 2
 * ```
 */
export interface LogStats {
  /** fdatasync calls made by the flush policy or `sync()`. */
  syncs: number;
  /** Batches written. */
  batches: number;
  /** Segments rolled. */
  rolls: number;
}
