import { TributaryError } from './errors.js';

/** Kafka's longest legal topic name: 249 characters, so that `<topic>-<partition>` fits a 255-byte file name. */
export const topicNameLengthMax = 249;

const legal = /^[a-zA-Z0-9._-]+$/;

/**
 * Checks a topic name with Kafka's rule (`org.apache.kafka.common.internals.Topic`):
 * 1 to 249 characters from `[a-zA-Z0-9._-]`, and not `.` or `..`. Every path built from a
 * topic name goes through here first, so no name can climb out of the data folder.
 * Throws `INVALID_TOPIC_EXCEPTION`.
 * @internal
 */
export function validateTopicName(topic: unknown): asserts topic is string {
  const fail = (why: string): never => {
    throw new TributaryError('INVALID_TOPIC_EXCEPTION', `invalid topic name ${describe(topic)}: ${why}`, {
      topic: typeof topic === 'string' ? topic : undefined,
    });
  };
  if (typeof topic !== 'string') fail('a topic name must be a string');
  const name = topic as string;
  if (name.length === 0) fail('it is empty');
  if (name === '.' || name === '..') fail('"." and ".." are not allowed');
  if (name.length > topicNameLengthMax) fail(`it is ${name.length} characters long; the maximum is ${topicNameLengthMax}`);
  if (!legal.test(name)) fail('it may contain only ASCII letters, digits, ".", "_" and "-"');
}

/**
 * Kafka's internal topics (`org.apache.kafka.common.internals.Topic`): names the cluster
 * itself owns. `__transaction_state` is reserved before transactions exist. What a client
 * may not do to them is decided where its requests enter (`broker/internal-topics.ts`)
 * and, for a partition count, by the controller (`metadata/replication-control.ts`).
 * @internal
 */
export const internalTopicNames: ReadonlySet<string> = new Set(['__cluster_metadata', '__consumer_offsets', '__transaction_state']);

/** @internal */
export function isInternalTopic(name: string | null | undefined): boolean {
  return typeof name === 'string' && internalTopicNames.has(name);
}

/** Kafka warns that `.` and `_` collide in metric names; topics that differ only by them collide. @internal */
export function topicCollisionKey(topic: string): string {
  return topic.replaceAll('.', '_');
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}
