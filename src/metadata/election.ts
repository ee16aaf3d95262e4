/**
 * Leader election and ISR changes for one partition: the decisions behind Kafka's
 * `PartitionChangeBuilder`, as pure functions of the partition and of which brokers are
 * usable (registered and unfenced).
 */
import { ApiKey, noLeader, type PartitionChangeRecord } from './records.js';
import type { PartitionRegistration } from './image.js';
import type { Uuid } from './uuid.js';

export interface Election {
  readonly leader: number;
  /** Whether the leader came from outside the ISR (an unclean election, which may lose committed records). */
  readonly unclean: boolean;
}

/**
 * The best leader: the first usable replica, in preferred order, that is in the ISR;
 * failing that, when `uncleanOk`, the first usable replica at all; failing that, none (-1).
 */
export function electLeader(replicas: readonly number[], isr: readonly number[], usable: (brokerId: number) => boolean, uncleanOk: boolean): Election {
  for (const r of replicas) if (isr.includes(r) && usable(r)) return { leader: r, unclean: false };
  if (uncleanOk) for (const r of replicas) if (usable(r)) return { leader: r, unclean: true };
  return { leader: noLeader, unclean: false };
}

/** The fields of a PartitionChange, before the topic and partition are attached. */
export interface PartitionChangeFields {
  readonly isr?: readonly number[];
  readonly leader?: number;
}

/** A PartitionChange record for `fields`, or undefined when they change nothing. */
export function partitionChange(topicId: Uuid, partitionId: number, current: PartitionRegistration, fields: PartitionChangeFields): PartitionChangeRecord | undefined {
  const isrChanged = fields.isr !== undefined && !sameList(fields.isr, current.isr);
  const leaderChanged = fields.leader !== undefined && fields.leader !== current.leader;
  if (!isrChanged && !leaderChanged) return undefined;
  return {
    apiKey: ApiKey.PartitionChange,
    topicId,
    partitionId,
    ...(isrChanged ? { isr: fields.isr } : {}),
    ...(leaderChanged ? { leader: fields.leader } : {}),
  };
}

/**
 * The change that takes `brokerId` out of a partition (it was fenced, is shutting down,
 * re-registered as a new incarnation, or unregistered): it leaves the ISR, and if it led,
 * or the leader is otherwise unusable, a new leader is elected from the remaining ISR.
 *
 * The ISR never becomes empty: when `brokerId` is its last member it stays, as the
 * replica that has every committed record, and the partition is left without a leader
 * (-1) until that broker returns, unless `uncleanOk` lets another live replica lead
 * (and become the whole ISR), at the risk of losing records. This is Kafka's behaviour
 * without KIP-966's eligible leader replicas.
 */
export function removeReplica(current: PartitionRegistration, brokerId: number, usable: (id: number) => boolean, uncleanOk: boolean): PartitionChangeFields {
  const others = current.isr.filter((r) => r !== brokerId);
  let isr: readonly number[] = others.length === 0 ? current.isr : others;
  let leader = current.leader;
  if (leader === brokerId || leader === noLeader || !isr.includes(leader) || !usable(leader)) {
    const election = electLeader(current.replicas, isr, (id) => id !== brokerId && usable(id), uncleanOk);
    leader = election.leader;
    if (election.unclean) isr = [leader];
  }
  return { isr, leader };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
