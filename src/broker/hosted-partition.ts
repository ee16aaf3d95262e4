/**
 * What the replica manager keeps of each replica this broker hosts (Kafka's
 * `HostedPartition` in ReplicaManager.scala), and the shapes of a produce request's
 * partitions as the replica manager takes them.
 */
import type { Uuid } from '../metadata/uuid.js';
import type { Partition } from './partition.js';

/** A hosted replica's key in the replica manager's maps and wake-ups. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** A replica this broker hosts, and what `settle` last saw of it. */
export interface Hosted {
  readonly topic: string;
  /** `tpKey(topic, partition)`, made once: the key of its wake-ups (a string a produced batch, before). */
  readonly key: string;
  readonly topicId: Uuid;
  readonly partition: number;
  readonly replica: Partition;
  /**
   * What `settleAcks` last saw of the replica, on this object rather than one of its own:
   * the settle after every append reads them, and a separate object was one more cold
   * cache line a batch with keyed records over 10,000 partitions.
   */
  seenHw: number;
  seenLogStart: number;
  seenLogEnd: number;
  seenLeaderEpoch: number;
  seenPartitionEpoch: number;
  seenRole: string;
}

/** Passes over a produce request's partitions, counted (each one per request, however many partitions). */
export interface ProducePasses {
  /** Produce requests appended. */
  requests: number;
  /** Passes resolving each partition's leader replica from the metadata image. */
  lookup: number;
  /** Passes settling what the appends and syncs did (acks handed out, moves noted). */
  settle: number;
  /** Passes starting the syncs of a request's partitions (flush always). */
  flush: number;
  /** Sweeps waking the fetches that wait on partitions that moved. */
  wakeSweeps: number;
}

/** One partition's part of a produce request. */
export interface ProduceEntry {
  readonly topic: string;
  readonly index: number;
  readonly records: Uint8Array | null;
}
