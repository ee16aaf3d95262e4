/**
 * Checks and changes of one partition's leadership and ISR that the controller makes on a
 * broker's word: an AlterPartition proposal, and a replica the broker reports offline.
 * Pure functions of the partition, kept out of `controller.ts`.
 * @internal
 */
import { assert } from '../util/assert.js';
import type { ErrorCode } from '../util/error-codes.js';
import { removeReplica, type PartitionChangeFields } from './election.js';
import type { PartitionRegistration } from './image.js';
import { partitionReplicasMax } from './records.js';
import type { AlterPartitionRequest } from './requests.js';

type Failure = { readonly code: ErrorCode; readonly message: string };

const fail = (code: ErrorCode, message: string): Failure => ({ code, message });

export /** Why an AlterPartition proposal is invalid, with Kafka's error codes, or undefined. */
function alterPartitionProblem(
  brokerId: number,
  p: AlterPartitionRequest['topics'][number]['partitions'][number],
  part: PartitionRegistration,
  partitionCount: number,
  usable: (id: number) => boolean,
): Failure | undefined {
  assert(p.partitionIndex < partitionCount, 'partition checked to exist');
  if (p.leaderEpoch < part.leaderEpoch) return fail('FENCED_LEADER_EPOCH', `leader epoch ${p.leaderEpoch} is older than the current ${part.leaderEpoch}`);
  // A newer epoch than the controller's own: the sender has seen a controller this one has not.
  if (p.leaderEpoch > part.leaderEpoch) return fail('NOT_CONTROLLER', `leader epoch ${p.leaderEpoch} is newer than this controller's ${part.leaderEpoch}`);
  if (part.leader !== brokerId) return fail('INVALID_REQUEST', `broker ${brokerId} is not the leader (${part.leader})`);
  if (p.partitionEpoch !== part.partitionEpoch) return fail('INVALID_UPDATE_VERSION', `partition epoch ${p.partitionEpoch} is not the current ${part.partitionEpoch}`);
  const isr = p.newIsr;
  if (isr.length === 0 || isr.length > partitionReplicasMax) return fail('INVALID_REQUEST', 'the new ISR is empty');
  if (new Set(isr).size !== isr.length) return fail('INVALID_REQUEST', `the new ISR ${isr} lists a replica twice`);
  if (!isr.includes(brokerId)) return fail('INVALID_REQUEST', `the new ISR ${isr} does not include the leader ${brokerId}`);
  for (const r of isr) {
    if (!part.replicas.includes(r)) return fail('INVALID_REQUEST', `ISR member ${r} is not a replica (${part.replicas})`);
    if (!usable(r)) return fail('INELIGIBLE_REPLICA', `ISR member ${r} is fenced or not registered`);
  }
  return undefined;
}

/**
 * A replica the broker reports offline (its storage failed): like a fenced broker, but
 * for this partition only, it leaves the ISR and, if it led, a healthy ISR member leads
 * (Kafka's handling of offline log directories). It stays a replica, so it catches up and
 * rejoins once its broker restarts with the fault gone. Undefined when it neither leads
 * nor is in the ISR. As for a fenced broker, the last ISR member stays in the ISR, and
 * the partition is left without a leader unless unclean election is allowed.
 */
export function offlineReplicaChange(part: PartitionRegistration, brokerId: number, usable: (id: number) => boolean, uncleanOk: boolean): PartitionChangeFields | undefined {
  if (!part.replicas.includes(brokerId) || (part.leader !== brokerId && !part.isr.includes(brokerId))) return undefined;
  return removeReplica(part, brokerId, usable, uncleanOk);
}
