/**
 * Checks of the partitions a user hands a consumer (`assign`, `seek`, `pause`): each one a
 * `{ topic, partition }` with a valid topic name and a non-negative integer partition, or
 * `INVALID_ARGUMENT`. Moved out of consumer.ts.
 * @internal
 */
import { TributaryError } from '../util/errors.js';
import { validateTopicName } from '../util/topic-name.js';
import type { TopicPartition } from './consumer.js';

export function checkPartitionList(partitions: unknown): void {
  if (!Array.isArray(partitions)) throw new TributaryError('INVALID_ARGUMENT', `partitions must be an array of { topic, partition }, got ${partitions === null ? 'null' : typeof partitions}`, { option: 'partitions' });
  for (const tp of partitions) checkTopicPartition(tp as TopicPartition);
}

export function checkTopicPartition(tp: TopicPartition): void {
  if (typeof tp !== 'object' || tp === null) throw new TributaryError('INVALID_ARGUMENT', `a partition must be { topic, partition }, got ${String(tp)}`, { option: 'partition' });
  validateTopicName(tp.topic);
  if (!Number.isInteger(tp.partition) || tp.partition < 0) throw new TributaryError('INVALID_ARGUMENT', `partition must be a non-negative integer, got ${String(tp.partition)}`, { topic: tp.topic, option: 'partition' });
}
