/**
 * OffsetForLeaderEpoch answered as Kafka's `UnifiedLog.endOffsetForEpoch` answers it
 * (`LeaderEpochFileCache.endOffsetFor`): the leader's own epoch ends at the log end, an
 * epoch past it is unknown (-1, -1), not the latest epoch's end; a hostile epoch is a typed
 * answer. Through the public `cluster.transport`, on a simulated clock.
 */
import { expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { driveClock, SimulatedTimerClock } from '../../src/testing.js';

it('answers the end offset of an epoch as Kafka: the latest at the log end, one past it unknown', async () => {
  const clock = new SimulatedTimerClock(1_000_000);
  const driver = driveClock(clock);
  try {
    await using cluster = await Cluster.start({ nodes: 1, clock });
    await cluster.admin().createTopics([{ name: 'e', partitions: 1 }]);
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    await producer.send('e', [{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    await producer.close();
    const [d] = await cluster.admin().describeTopics(['e']);
    const epoch = d!.partitions[0]!.leaderEpoch;
    const ask = async (leaderEpoch: number, currentLeaderEpoch = -1): Promise<[string, number, number]> => {
      const r = await cluster.transport.send(1, { apiKey: ApiKey.OffsetForLeaderEpoch, replicaId: -1, topics: [{ topic: 'e', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] });
      const p = r.topics[0]!.partitions[0]!;
      return [p.errorCode, p.leaderEpoch, p.endOffset];
    };
    expect(await ask(epoch, epoch)).toEqual(['NONE', epoch, 3]);
    // Past the leader's epoch: Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET (it was the latest epoch's end).
    expect(await ask(epoch + 1)).toEqual(['NONE', -1, -1]);
    expect(await ask(epoch + 1000)).toEqual(['NONE', -1, -1]);
    expect(await ask(-1)).toEqual(['NONE', -1, -1]);
    // A hostile epoch: answered, typed, and the broker goes on serving.
    const hostile = await ask(-7).catch((e: unknown) => (e as { code?: string }).code);
    expect(hostile).toBe('INVALID_REQUEST');
    expect(await ask(epoch)).toEqual(['NONE', epoch, 3]);
  } finally {
    await driver.stop();
  }
}, 120_000);
