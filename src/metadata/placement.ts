/**
 * Replica placement for new partitions, without racks: Kafka's classic striped
 * assignment (`AdminUtils.assignReplicasToBrokers`, which `StripedReplicaPlacer` keeps
 * for a single rack).
 *
 * Over n brokers sorted by id, partition p's first replica (its preferred leader) is
 * broker (start + p) mod n, so leaders go round-robin. Its other replicas follow the
 * first at a distance of 1 + ((shift + j) mod (n - 1)) for j = 0, 1, ..., so they are
 * distinct and never the first; the shift grows by one after each full round of n
 * partitions, so that follower sets rotate too instead of always pairing broker b with
 * b + 1. `start` and the initial shift are random (from the injected `Rng`), so that
 * many small topics do not all lead on the lowest broker id.
 *
 * Worked example: brokers [1,2,3], 6 partitions, RF 2, start 0, shift 0:
 * p0 [1,2], p1 [2,3], p2 [3,1], then the shift becomes 1: p3 [1,3], p4 [2,1], p5 [3,2].
 * Every broker leads 2 partitions and follows 2.
 */
import { assert } from '../util/assert.js';
import type { Rng } from '../util/rng.js';

/**
 * Replicas for `numPartitions` partitions numbered from `firstPartition`, over
 * `brokerIds` (usable brokers, any order; they are sorted here).
 */
export function placeReplicas(brokerIds: readonly number[], numPartitions: number, replicationFactor: number, rng: Rng, firstPartition = 0): number[][] {
  const brokers = [...brokerIds].sort((a, b) => a - b);
  const n = brokers.length;
  assert(replicationFactor >= 1 && replicationFactor <= n, `replication factor ${replicationFactor} needs 1 to ${n} brokers`);
  const start = rng.int(n);
  const shift0 = rng.int(n);
  const out: number[][] = [];
  for (let i = 0; i < numPartitions; i++) {
    const p = firstPartition + i;
    const first = (p + start) % n;
    const shift = shift0 + Math.floor(p / n);
    const replicas = [brokers[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    out.push(replicas);
  }
  return out;
}
