/**
 * AlterPartitionReassignments (45) and ListPartitionReassignments (46), answered from the
 * metadata image as Kafka's `ReplicationControlManager` answers them
 * (`alterPartitionReassignments`, `listPartitionReassignments`), for a cluster that never
 * moves a replica.
 *
 * Tributary places a partition's replicas when the partition is created and keeps them
 * there: it has no reassignment (KIP-455's adding and removing replicas, and the
 * `PartitionChangeRecord` that finishes one). So:
 *
 * - ListPartitionReassignments is always the empty list, with no error, as Kafka answers
 *   when nothing is moving (it names only partitions being reassigned, and skips unknown
 *   topics).
 * - AlterPartitionReassignments checks each partition as Kafka does (an unknown topic or
 *   partition is UNKNOWN_TOPIC_OR_PARTITION; an empty list, a broker named twice or an
 *   unregistered broker is INVALID_REPLICA_ASSIGNMENT; cancelling, `replicas` null, is
 *   NO_REASSIGNMENT_IN_PROGRESS since none ever is). A target equal to the current replicas,
 *   in the same order, is a reassignment with nothing to do, NONE as in Kafka. Any other
 *   target is INVALID_REPLICA_ASSIGNMENT with a message saying that Tributary does not move
 *   replicas: the partition stays where it is, and the client is told so, never silence.
 * @internal
 */
import type { MetadataImage } from '../metadata/image.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import type { ErrorCode } from '../util/error-codes.js';

export function listPartitionReassignments(_req: P.ListPartitionReassignmentsRequest): P.ListPartitionReassignmentsResponse {
  return { apiKey: ApiKey.ListPartitionReassignments, errorCode: 'NONE', errorMessage: null, topics: [], throttleTimeMs: 0 };
}

export function alterPartitionReassignments(image: MetadataImage, req: P.AlterPartitionReassignmentsRequest): P.AlterPartitionReassignmentsResponse {
  const responses = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      const [errorCode, errorMessage] = reassignmentProblem(image, t.name, p.partitionIndex, p.replicas);
      return { partitionIndex: p.partitionIndex, errorCode, errorMessage };
    }),
  }));
  return { apiKey: ApiKey.AlterPartitionReassignments, errorCode: 'NONE', errorMessage: null, responses, throttleTimeMs: 0 };
}

function reassignmentProblem(image: MetadataImage, topic: string, partition: number, target: readonly number[] | null): [ErrorCode, string | null] {
  const current = image.topic(topic)?.partitions[partition];
  if (current === undefined) return ['UNKNOWN_TOPIC_OR_PARTITION', `Unable to find partition ${topic}:${partition}.`];
  if (target === null) return ['NO_REASSIGNMENT_IN_PROGRESS', null];
  if (target.length === 0) return ['INVALID_REPLICA_ASSIGNMENT', 'The manual partition assignment includes an empty replica list.'];
  if (new Set(target).size !== target.length) return ['INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes the broker ids ${target.join(', ')}, with one named more than once.`];
  for (const id of target) {
    if (image.broker(id) === undefined) return ['INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${id}, but no such broker is registered.`];
  }
  if (target.length === current.replicas.length && target.every((id, i) => id === current.replicas[i])) return ['NONE', null];
  return ['INVALID_REPLICA_ASSIGNMENT', `Tributary does not move replicas: partition ${topic}:${partition} stays on brokers [${current.replicas.join(', ')}].`];
}
