/**
 * The admin's checks and messages for consumer groups: a group id, the `{ topic,
 * partition[, offset] }` lists of the group-offset calls, and what a coordinator's error
 * tells the caller to do. @internal
 */
import type { ErrorCode } from '../util/error-codes.js';
import { TributaryError } from '../util/errors.js';
import { describeValue } from '../util/options.js';
import { validateTopicName } from '../util/topic-name.js';

/**
 * What a group error means to the caller, and what to do. A commit from the admin (no
 * member, generation -1) to a group with members fails with `UNKNOWN_MEMBER_ID`, as
 * Kafka's coordinator answers it; deleting such a group fails with `NON_EMPTY_GROUP`.
 */
export function groupErrorMessage(groupId: string, error: ErrorCode): string {
  if (error === 'UNKNOWN_MEMBER_ID' || error === 'NON_EMPTY_GROUP') {
    return `group "${groupId}" has active members (${error}): stop its consumers first; a member with a groupInstanceId (static membership) stays in the group after close() until its sessionTimeoutMs runs out`;
  }
  if (error === 'GROUP_ID_NOT_FOUND') return `group "${groupId}" does not exist`;
  return `group "${groupId}": ${error}`;
}

/** `{ topic, partition[, offset] }`s checked and grouped by topic, for the group-offset calls. */
export function partitionsByTopic(list: unknown, call: string, withOffset: boolean): Map<string, { partition: number; offset?: number }[]> {
  const shape = withOffset ? '{ topic, partition, offset }' : '{ topic, partition }';
  if (!Array.isArray(list) || list.length === 0) throw new TributaryError('INVALID_ARGUMENT', `${call} takes a non-empty array of ${shape}, got ${describeValue(list)}`, { option: 'partitions' });
  const out = new Map<string, { partition: number; offset?: number }[]>();
  for (const e of list as { topic?: unknown; partition?: unknown; offset?: unknown }[]) {
    if (typeof e !== 'object' || e === null) throw new TributaryError('INVALID_ARGUMENT', `${call} takes ${shape} entries, got ${describeValue(e)}`, { option: 'partitions' });
    validateTopicName(e.topic);
    const { topic, partition, offset } = e as { topic: string; partition: unknown; offset: unknown };
    if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) > 0x7fffffff) throw new TributaryError('INVALID_ARGUMENT', `a partition must be an integer from 0 to 2147483647, got ${describeValue(partition)}`, { topic, option: 'partition' });
    if (withOffset && (!Number.isSafeInteger(offset) || (offset as number) < 0)) throw new TributaryError('INVALID_ARGUMENT', `the offset of ${topic}-${String(partition)} must be a non-negative integer, got ${describeValue(offset)}`, { topic, option: 'offset' });
    const ps = out.get(topic) ?? [];
    if (ps.some((p) => p.partition === partition)) throw new TributaryError('INVALID_ARGUMENT', `${topic}-${String(partition)} is named twice`, { topic, option: 'partitions' });
    ps.push(withOffset ? { partition: partition as number, offset: offset as number } : { partition: partition as number });
    out.set(topic, ps);
  }
  return out;
}

/** A group id: a non-empty string of at most 255 characters. */
export function checkGroupId(groupId: unknown): asserts groupId is string {
  if (typeof groupId !== 'string' || groupId.length === 0 || groupId.length > 255) {
    throw new TributaryError('INVALID_GROUP_ID', `a group id is a non-empty string of at most 255 characters, got ${describeValue(groupId)}`, { option: 'groupId' });
  }
}
