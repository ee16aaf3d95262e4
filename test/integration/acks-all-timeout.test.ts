/**
 * An acks=all produce whose followers never fetch times out at its own `timeoutMs`: the
 * broker walks its replicas only every `replica.lag.time.max.ms / 2` now (Kafka's
 * isr-expiration), and a replica with acks waiting is ticked by the 100 ms prompt timer
 * instead. Here the followers are killed with the quorum (no controller is left to
 * change the ISR) and replica.lag.time.max.ms is 60 s, so nothing but the prompt timer
 * can answer the produce. On simulated time.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Cluster } from '../../src/index.js';
import { encodeBatchUncompressed } from '../../src/record/batch.js';
import { waitFor } from '../../src/testing.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

const { clock } = useSimulatedClock();

describe('acks=all produce timeout', () => {
  it('answers REQUEST_TIMED_OUT at timeoutMs, long before the next isr-expiration walk', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock, broker: { replicaLagTimeMaxMs: 60_000 } });
    await cluster.admin().createTopics([{ name: 'acks', partitions: 1, replicationFactor: 3 }]);
    const leader = await waitFor(async () => {
      const p = (await cluster.admin().describeTopics(['acks']))[0]!.partitions[0]!;
      // The leader's own broker must know itself as the leader too: the admin's answer may come from
      // a node whose metadata is ahead of the leader's (on a loaded machine the produce
      // below then met UNKNOWN_TOPIC_OR_PARTITION).
      return p.leader >= 0 && p.isr.length === 3 && cluster.node(p.leader)?.broker.metadataImage?.topic('acks')?.partitions[0]?.leader === p.leader ? p.leader : undefined;
    }, { clock, timeoutMs: 30_000 });
    for (const id of cluster.nodeIdList) if (id !== leader) cluster.killNode(id);
    const broker = cluster.node(leader)!.broker;
    const timeoutMs = 2_000;
    const sentAt = clock.now();
    const records = encodeBatchUncompressed([{ key: null, value: new TextEncoder().encode('v') }], { now: clock.now() });
    const answer = await broker.handle({ apiKey: ApiKey.Produce, transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: 'acks', partitionData: [{ index: 0, records }] }] });
    const tookMs = clock.now() - sentAt;
    expect(answer.responses[0]!.partitionResponses[0]!.errorCode).toBe('REQUEST_TIMED_OUT');
    expect(tookMs).toBeGreaterThanOrEqual(timeoutMs);
    // The prompt timer's period (100 ms) and a turn or two of the clock's driver, not 30 s.
    expect(tookMs).toBeLessThanOrEqual(timeoutMs + 300);
  });
});
