/**
 * A Produce with `acks` other than -1, 0, 1, in-process, on a broker that does not lead
 * the partition: Kafka checks acks in `ReplicaManager.appendRecords` before anything about
 * the partition's replica, so the answer is INVALID_REQUIRED_ACKS, not
 * NOT_LEADER_OR_FOLLOWER (which the same request with acks 1 gets). The wire side, with
 * the unknown partitions and record problems answered first, is in
 * test/wire/produce-rules.test.ts.
 */
import { expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import type { ProduceRequest } from '../../src/protocol/produce.js';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
import { driveClock, SimulatedTimerClock } from '../../src/testing.js';
import { delay } from '../../src/util/timeout.js';

const request = (acks: number): ProduceRequest => ({
  apiKey: ApiKey.Produce,
  acks,
  timeoutMs: 30_000,
  topicData: [{ name: 'a', partitionData: [{ index: 0, records: encodeBatchUncompressed([{ value: Buffer.from('v') }]) }] }],
});

it('acks 2 to a broker that does not lead the partition: INVALID_REQUIRED_ACKS (acks 1: NOT_LEADER_OR_FOLLOWER); to the leader: INVALID_REQUIRED_ACKS, nothing appended', async () => {
  // A simulated clock (moved when the process is idle): the waits below cost no wall time.
  const clock = new SimulatedTimerClock(Date.now()); // now: the batch is stamped with the wall clock
  const driver = driveClock(clock);
  try {
    await using cluster = await Cluster.start({ nodes: 2, clock });
    await cluster.admin().createTopics([{ name: 'a', partitions: 1, replicationFactor: 1 }]);
    const leader = (await cluster.admin().describeTopics(['a']))[0]!.partitions[0]!.leader;
    const other = leader === 1 ? 2 : 1;
    const codeFrom = async (node: number, acks: number): Promise<string> => (await cluster.transport.send(node, request(acks))).responses[0]!.partitionResponses[0]!.errorCode;
    // Each broker learns of the topic when it replays the controller's records: wait until
    // neither answers UNKNOWN_TOPIC_OR_PARTITION (acks 2 appends nothing either way).
    for (const node of [leader, other]) {
      for (let attempt = 0; (await codeFrom(node, 2)) === 'UNKNOWN_TOPIC_OR_PARTITION'; attempt++) {
        expect(attempt).toBeLessThan(600);
        await delay(50, clock);
      }
    }
    expect(await codeFrom(other, 1)).toBe('NOT_LEADER_OR_FOLLOWER');
    for (const acks of [2, -2, 100]) {
      expect(await codeFrom(other, acks)).toBe('INVALID_REQUIRED_ACKS');
      expect(await codeFrom(leader, acks)).toBe('INVALID_REQUIRED_ACKS');
    }
    expect((await cluster.admin().listOffsets('a', 'latest'))[0]!.offset).toBe(0);
    expect(await codeFrom(leader, 1)).toBe('NONE');
    expect((await cluster.admin().listOffsets('a', 'latest'))[0]!.offset).toBe(1);
  } finally {
    await driver.stop();
  }
}, 60_000);
