/**
 * What the group `run` tests share (test/integration/group-run-handler.test.ts,
 * group-delivery-checks.test.ts): settings on simulated time, a topic filled with string
 * values, and the offsets a group committed once it has no members.
 */
import { expect } from 'vitest';
import type { Cluster } from '../../src/cluster.js';
import { serdes } from '../../src/client/serde.js';

/** Heartbeats of 100 ms, a session of 10 s, no auto-commit in a test's span, ten minutes for a rebalance. */
export const groupRunSettings = { heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000, maxWaitMs: 20, autoCommitIntervalMs: 3_600_000, rebalanceTimeoutMs: 600_000, from: 'earliest' } as const;

/** Sends `count` records of values `v0`, `v1`, ... to `topic`. */
export async function produceValues(cluster: Cluster, topic: string, count: number): Promise<void> {
  const t = cluster.topic(topic, { key: serdes.string, value: serdes.string });
  await t.send(Array.from({ length: count }, (_, i) => ({ value: `v${i}` })));
}

/** The committed offset of each partition of `groupId`, which must have no members left. */
export async function committedOffsets(cluster: Cluster, groupId: string): Promise<number[]> {
  const d = await cluster.admin().describeGroup(groupId);
  expect(d.members).toEqual([]);
  return d.offsets.map((o) => o.committed);
}
