/**
 * A leader and a follower replica of partition `t-0` (brokers 1 and 2, both in the ISR,
 * leader epoch 1), each over its own `PartitionLog` in a folder of `dir()`: the two ends of
 * a replica fetch, for tests that carry the fetch's answer across a boundary themselves.
 */
import { Partition, type LeaderAndIsr } from '../../src/broker/partition.js';
import { PartitionLog } from '../../src/storage/partition-log.js';

export const pairState: LeaderAndIsr = { leader: 1, leaderEpoch: 1, partitionEpoch: 1, replicas: [1, 2], isr: [1, 2] };

export async function replicaPair(dir: () => string): Promise<{ leader: Partition; follower: Partition }> {
  const leader = new Partition({ log: await PartitionLog.open({ dataDir: dir(), topic: 't', partition: 0 }), brokerId: 1 });
  const follower = new Partition({ log: await PartitionLog.open({ dataDir: dir(), topic: 't', partition: 0 }), brokerId: 2 });
  leader.makeLeader(pairState, 0);
  follower.makeFollower(pairState, 0);
  return { leader, follower };
}
