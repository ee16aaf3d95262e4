/**
 * The decisions of a consumer group member's membership, as pure functions (the core
 * under `membership-core.ts` and `consumer-coordinator.ts`, Kafka's `AbstractCoordinator`
 * and `ConsumerCoordinator`): what a heartbeat's answer, a failed join or a new assignment
 * means for the member. They take the answer (and the time it took) and return what to do;
 * the coordinator (the shell) sends the requests, runs the timers on the member's clock and
 * awaits the rebalance handlers. No timers, no transport, no promises here.
 *
 * The member's states, as Kafka's: unjoined, joining (JoinGroup, then SyncGroup), stable
 * (heartbeating), back to joining on REBALANCE_IN_PROGRESS (partitions kept), or through
 * `lost` on UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION (partitions taken away without a
 * commit). docs/design/consumer-groups.md has the diagram.
 * @internal
 */
import type { ErrorCode } from '../../util/error-codes.js';

/** A topic's partition (the same shape as the consumer's `TopicPartition`, kept here so that the core imports no shell). */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Errors that mean "find the coordinator again". */
export const coordinatorErrors: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NETWORK_EXCEPTION', 'REQUEST_TIMED_OUT']);

/** Join failures after which the member joins again (rather than ending). */
const rejoinErrors: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'MEMBER_ID_REQUIRED']);

/**
 * What a heartbeat's answer means:
 * - `stay`: the generation goes on; `again` says heartbeat at once rather than at the next
 *   interval (a coordinator that holds heartbeats answered late, so one must always be
 *   waiting there to bring news of a rebalance);
 * - `rejoin`: a rebalance began, the member keeps its partitions and joins;
 * - `rejoin-lost`: the group moved on without it: its partitions are lost, then it joins;
 * - `fenced`: another member took its `group.instance.id`: the member ends;
 * - `find-coordinator`: the coordinator moved or did not answer: find it again.
 */
export type HeartbeatOutcome = { readonly kind: 'stay'; readonly again: boolean } | { readonly kind: 'rejoin' | 'rejoin-lost' | 'fenced' | 'find-coordinator' };

/** A heartbeat answered `code` after `tookMs`; the member heartbeats every `heartbeatIntervalMs`. */
export function heartbeatOutcome(code: ErrorCode, tookMs: number, heartbeatIntervalMs: number): HeartbeatOutcome {
  if (code === 'NONE') return { kind: 'stay', again: tookMs >= Math.min(50, heartbeatIntervalMs / 4) };
  if (code === 'REBALANCE_IN_PROGRESS') return { kind: 'rejoin' };
  if (code === 'UNKNOWN_MEMBER_ID' || code === 'ILLEGAL_GENERATION') return { kind: 'rejoin-lost' };
  if (code === 'FENCED_INSTANCE_ID') return { kind: 'fenced' };
  if (coordinatorErrors.has(code)) return { kind: 'find-coordinator' };
  return { kind: 'stay', again: false };
}

/**
 * What a failed join (FindCoordinator, JoinGroup, SyncGroup, or taking the assignment)
 * means: `fatal` ends the member; otherwise it joins again, at once after
 * MEMBER_ID_REQUIRED (the protocol's first step, KIP-394) or after a backoff, first
 * finding the coordinator again when `findCoordinator` says so.
 */
export function joinFailureOutcome(code: ErrorCode, retriable: boolean): { readonly next: 'fatal' | 'rejoin-now' | 'backoff'; readonly findCoordinator: boolean } {
  const findCoordinator = coordinatorErrors.has(code);
  if (!retriable && !findCoordinator && !rejoinErrors.has(code)) return { next: 'fatal', findCoordinator: false };
  return { next: code === 'MEMBER_ID_REQUIRED' ? 'rejoin-now' : 'backoff', findCoordinator };
}

/** How a SyncGroup's assignment changes what the member owns. */
export interface AssignmentChange {
  /** Owned, not in the assignment: given up (revoked) before anything is taken. */
  readonly revoked: readonly TopicPartition[];
  /** In the assignment, not owned: taken once the revoked are given up. */
  readonly added: readonly TopicPartition[];
  /**
   * Cooperative only (KIP-429): the JoinGroup claimed a partition that the assignment
   * leaves out, so the leader withheld it from everyone for this generation; a second
   * rebalance hands it to its new owner. This counts what the subscription claimed, not
   * only what is still owned: partitions lost since it was sent were withheld all the same.
   */
  readonly rejoin: boolean;
}

const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/** `owned` now, `assigned` by the SyncGroup, `claimed` by the JoinGroup's subscription. */
export function assignmentChange(owned: readonly TopicPartition[], assigned: readonly TopicPartition[], claimed: readonly TopicPartition[], cooperative: boolean): AssignmentChange {
  const next = new Set(assigned.map(tpKey));
  const have = new Set(owned.map(tpKey));
  return {
    revoked: owned.filter((tp) => !next.has(tpKey(tp))),
    added: assigned.filter((tp) => !have.has(tpKey(tp))),
    rejoin: cooperative && claimed.some((tp) => !next.has(tpKey(tp))),
  };
}
