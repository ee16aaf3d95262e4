/**
 * What a consumer (or a consumer group member) reports about itself: records and bytes
 * it received, how long its fetches took, and its lag on each partition it reads; and
 * what a group member logs and publishes (failed commits, rebalances).
 */
import { channels, type GroupRebalanceEvent } from '../util/channels.js';
import type { Logger } from '../util/logger.js';
import type { LatencySummary } from '../util/metrics.js';

/**
 * One partition a consumer reads: its position (the next offset it fetches), the
 * partition's high watermark as of the last fetch, and the lag between them (-1 while
 * either is unknown).
 *
 * @example
 * ```ts
 * import type { ConsumerPartitionMetrics } from 'tributary-log';
 *
 * const behind = (p: ConsumerPartitionMetrics): boolean => p.lag > 1000;
 * console.log(behind({ topic: 'orders', partition: 0, position: 10, highWatermark: 5000, lag: 4990 })); // true
 * ```
 */
export interface ConsumerPartitionMetrics {
  readonly topic: string;
  readonly partition: number;
  readonly position: number;
  readonly highWatermark: number;
  readonly lag: number;
}

/**
 * A consumer's metrics, from `consumer.metrics()` or `group.metrics()` (which adds the
 * group). Counters count from the client's creation. Format it for Prometheus with
 * {@link prometheusText}.
 *
 * @example
 * ```ts
 * import { Cluster, type ConsumerMetrics } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * await cluster.producer().send('events', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
 * const consumer = cluster.consumer();
 * consumer.assign([{ topic: 'events', partition: 0 }]);
 * await consumer.seek({ topic: 'events', partition: 0 }, 0);
 * for await (const record of consumer) if (record.offset === 2) break; // read all three
 * const m: ConsumerMetrics = consumer.metrics();
 * console.log(m.recordsConsumed, m.partitions[0]?.highWatermark, m.lag); // 3 3 0
 * await consumer.close();
 * ```
 */
export interface ConsumerMetrics {
  readonly kind: 'consumer';
  readonly clientId: string;
  /** The group, for a consumer group member. */
  readonly groupId?: string;
  /** Rebalances this member completed, for a consumer group member. */
  readonly rebalances?: number;
  readonly recordsConsumed: number;
  readonly bytesConsumed: number;
  readonly fetchLatencyMs: LatencySummary;
  /** The sum of the partitions' known lags. */
  readonly lag: number;
  readonly partitions: readonly ConsumerPartitionMetrics[];
}

/** A commit the member could not make: a warning, never silence (its records may be read again). @internal */
export function commitFailed(log: Logger, groupId: string, err: unknown, what: string): void {
  log.warn({ groupId, err }, `group ${groupId}: ${what} failed, so these records may be read again: ${err instanceof Error ? err.message : String(err)}`);
}

/** A member joined a generation with its assignment: logged, and published on `tributary:rebalance`. @internal */
export function rebalanced(log: Logger, groupId: string, memberId: string, generationId: number, assignment: readonly { readonly topic: string; readonly partition: number }[]): void {
  log.info({ groupId, memberId, generationId, partitions: assignment.length }, `group ${groupId}: joined generation ${generationId} with ${assignment.length} partition(s)`);
  if (channels.rebalance.hasSubscribers) channels.rebalance.publish({ groupId, memberId, generationId, assignment: assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition })) } satisfies GroupRebalanceEvent);
}

/**
 * A producer's metrics, from `producer.metrics()`: records and bytes the cluster
 * acknowledged, failed batch attempts (a retried batch counts each failure), the time a
 * Produce request took, and what waits in memory. Format it with {@link prometheusText}.
 *
 * @example
 * ```ts
 * import { Cluster, type ProducerMetrics } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'events' }]);
 * const producer = cluster.producer({ clientId: 'writer' });
 * await producer.send('events', [{ value: 'a' }, { value: 'b' }]);
 * const m: ProducerMetrics = producer.metrics();
 * console.log(m.recordsSent, m.batchErrors, m.produceLatencyMs.count); // 2 0 1
 * ```
 */
export interface ProducerMetrics {
  readonly kind: 'producer';
  readonly clientId: string;
  readonly recordsSent: number;
  readonly bytesSent: number;
  readonly batchErrors: number;
  readonly produceLatencyMs: LatencySummary;
  readonly bufferedBytes: number;
  readonly requestsInFlight: number;
}

export { ProducerCounts } from './core/producer-counts.js';
