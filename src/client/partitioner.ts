import { murmur2, toPositive } from '../util/murmur2.js';
import type { Rng } from '../util/rng.js';
import { TributaryError } from '../util/errors.js';
import { describeValue } from '../util/options.js';

/**
 * Chooses a partition for a record. `key` is the serialized key (null for none);
 * `partitionCount` the topic's current number of partitions. Must return an integer in
 * [0, partitionCount).
 *
 * @example
 * ```ts
 * import { Cluster, partitionForKey, type Partitioner } from 'tributary-log';
 *
 * // Records keyed 'vip-...' go to partition 0; the others spread over the rest by Kafka's hash.
 * const vipFirst: Partitioner = ({ key, partitionCount }) => {
 *   if (key === null || partitionCount === 1) return 0;
 *   if (Buffer.from(key).toString().startsWith('vip-')) return 0;
 *   return 1 + partitionForKey(key, partitionCount - 1);
 * };
 * await using cluster = await Cluster.start();
 * await cluster.admin().createTopics([{ name: 'orders', partitions: 4 }]);
 * const [meta] = await cluster.producer({ partitioner: vipFirst }).send('orders', [{ key: 'vip-7', value: 'order' }]);
 * console.log(meta!.partition); // 0
 * ```
 */
export type Partitioner = (input: { topic: string; key: Uint8Array | null; partitionCount: number }) => number;

/**
 * Kafka's partition for a keyed record: `toPositive(murmur2(key)) % partitionCount`,
 * exactly as the Java client's `BuiltInPartitioner.partitionForKey`, over all partitions
 * (not only available ones), so the same key lands on the same partition as with a Java
 * producer, and stays there while the partition count is unchanged.
 *
 * @example
 * ```ts
 * import { partitionForKey } from 'tributary-log';
 *
 * const p = partitionForKey(new TextEncoder().encode('user-42'), 12);
 * console.log(p >= 0 && p < 12); // true
 * ```
 */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  if (!(key instanceof Uint8Array)) throw new TributaryError('INVALID_ARGUMENT', `partitionForKey takes the key as bytes (a Uint8Array), got ${describeValue(key)}`, { option: 'key' });
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > 0x7fffffff) {
    throw new TributaryError('INVALID_ARGUMENT', `partitionCount must be a positive integer, got ${describeValue(partitionCount)}`, { option: 'partitionCount' });
  }
  return toPositive(murmur2(key)) % partitionCount;
}

/**
 * Calls a user's partitioner for one record. Whatever it does (throws, returns something
 * that is not a partition of the topic) becomes an `INVALID_ARGUMENT` for that send, with
 * what it threw as the cause: a partitioner's bug fails its call, never the producer.
 * @internal
 */
export function choosePartition(partitioner: Partitioner, topic: string, key: Uint8Array | null, partitionCount: number): number {
  let partition: unknown;
  try {
    partition = partitioner({ topic, key, partitionCount });
  } catch (err) {
    throw new TributaryError('INVALID_ARGUMENT', `the partitioner threw for topic "${topic}": ${err instanceof Error ? err.message : describeValue(err)}`, { topic, option: 'partitioner', cause: err });
  }
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
    throw new TributaryError('INVALID_ARGUMENT', `the partitioner returned ${describeValue(partition)} for topic "${topic}" with ${partitionCount} partitions`, { topic, option: 'partitioner' });
  }
  return partition;
}

/**
 * The Java client's default partitioner (KIP-480 and KIP-794 without the adaptive
 * weighting): keyed records by `partitionForKey`; records without a key stick to one
 * partition until `batchSizeBytes` have gone to it, then move to another chosen at
 * random, so null-key records form full batches instead of one small batch per partition.
 * @internal
 */
export class StickyPartitioner {
  private readonly sticky = new Map<string, { partition: number; bytes: number }>();

  constructor(
    private readonly rng: Rng,
    private readonly batchSizeBytes = 16 * 1024,
  ) {}

  partition(topic: string, key: Uint8Array | null, partitionCount: number, recordBytes: number): number {
    if (key !== null) return partitionForKey(key, partitionCount);
    let s = this.sticky.get(topic);
    if (s === undefined || s.partition >= partitionCount || s.bytes >= this.batchSizeBytes) {
      let next = this.rng.int(partitionCount);
      // Move on to a different partition when there is one.
      if (s !== undefined && partitionCount > 1 && next === s.partition) next = (next + 1 + this.rng.int(partitionCount - 1)) % partitionCount;
      s = { partition: next, bytes: 0 };
      this.sticky.set(topic, s);
    }
    s.bytes += recordBytes;
    return s.partition;
  }
}
