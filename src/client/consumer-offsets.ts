/**
 * The consumer's offset lookups (Kafka's `beginningOffsets`, `endOffsets`,
 * `offsetsForTimes`): argument checks and answer shapes around the shared ListOffsets by
 * leader (list-offsets.ts). Moved out of consumer.ts to keep it under 900 lines; the
 * consumer and the group member call these.
 * @internal
 */
import { ListOffsetsTimestamp } from '../protocol/common.js';
import { TributaryError } from '../util/errors.js';
import { describeValue } from '../util/options.js';
import type { TopicPartition } from './consumer.js';
import { lookUpOffsets, type OffsetLookupContext } from './list-offsets.js';
import { checkPartitionList, checkTopicPartition } from './topic-partition-checks.js';

/**
 * A partition and an offset in it, from `beginningOffsets` and `endOffsets`.
 *
 * @example
 * ```ts
 * import { Cluster, type TopicPartitionOffset } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * await cluster.producer().send('orders', [{ value: 'a' }, { value: 'b' }]);
 * const consumer = cluster.consumer();
 * const [end]: TopicPartitionOffset[] = await consumer.endOffsets([{ topic: 'orders', partition: 0 }]);
 * console.log(end!.offset); // 2
 * await consumer.close();
 * ```
 */
export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * A partition and a time (ms since the epoch, at least 0) to look up with
 * `offsetsForTimes`.
 *
 * @example
 * ```ts
 * import type { TopicPartitionTimestamp } from 'tributary-log';
 *
 * const q: TopicPartitionTimestamp = { topic: 'orders', partition: 0, timestamp: Date.now() - 60_000 };
 * console.log(q.partition); // 0
 * ```
 */
export interface TopicPartitionTimestamp {
  readonly topic: string;
  readonly partition: number;
  readonly timestamp: number;
}

/**
 * What `offsetsForTimes` found for a partition (Kafka's `OffsetAndTimestamp`): the
 * earliest offset whose record's timestamp is at least the one asked for, and that
 * record's timestamp.
 *
 * @example
 * ```ts
 * import { Cluster, type OffsetAndTimestamp } from 'tributary-log';
 *
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders' }]);
 * await cluster.producer().send('orders', [{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 2000 }]);
 * const consumer = cluster.consumer();
 * const [found]: (OffsetAndTimestamp | null)[] = await consumer.offsetsForTimes([{ topic: 'orders', partition: 0, timestamp: 1500 }]);
 * console.log(found?.offset, found?.timestamp); // 1 2000
 * await consumer.close();
 * ```
 */
export interface OffsetAndTimestamp {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
}

/** The log start (`'earliest'`) or high watermark (`'latest'`) of each partition, in the order given. */
export async function edgeOffsets(ctx: OffsetLookupContext, partitions: readonly TopicPartition[], which: 'earliest' | 'latest'): Promise<TopicPartitionOffset[]> {
  ctx.checkOpen();
  checkPartitionList(partitions);
  const timestamp = which === 'earliest' ? ListOffsetsTimestamp.Earliest : ListOffsetsTimestamp.Latest;
  const answers = await lookUpOffsets(ctx, partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, timestamp })));
  return partitions.map((tp, i) => ({ topic: tp.topic, partition: tp.partition, offset: answers[i]!.offset }));
}

/** `offsetsForTimes`: each query's earliest offset at or after its timestamp, or null (no record is that late), in the order given. */
export async function offsetsForTimes(ctx: OffsetLookupContext, query: readonly TopicPartitionTimestamp[]): Promise<(OffsetAndTimestamp | null)[]> {
  ctx.checkOpen();
  if (!Array.isArray(query)) throw new TributaryError('INVALID_ARGUMENT', `offsetsForTimes takes an array of { topic, partition, timestamp }, got ${describeValue(query)}`, { option: 'query' });
  for (const q of query) {
    checkTopicPartition(q);
    const t: unknown = q.timestamp;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
      throw new TributaryError('INVALID_ARGUMENT', `the timestamp to look up for ${q.topic}-${q.partition} must be a non-negative integer (ms since the epoch), got ${describeValue(t)}`, { topic: q.topic, partition: q.partition, option: 'timestamp' });
    }
  }
  const answers = await lookUpOffsets(ctx, query);
  return query.map((q, i) => {
    const a = answers[i]!;
    return a.offset < 0 ? null : { topic: q.topic, partition: q.partition, offset: a.offset, timestamp: a.timestamp };
  });
}
