/**
 * What a group test needs from the test kit and the admin: crash one member
 * (`crashGroupMember`: no heartbeats, no leave) and learn which node coordinates a group
 * (`describeGroup().coordinator`), to kill it.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { crashGroupMember, waitFor } from '../../src/testing.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

// On simulated time: the sessions, the rebalance and the coordinator's move run in the
// clock's time, which a loaded machine cannot use up.
const { clock } = useSimulatedClock();

describe('group failures in tests', () => {
  it('crashGroupMember: the member stops without leaving, and its partitions move once its session runs out; describeGroup names the coordinator, which moves when its node is killed', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    await cluster.admin().createTopics([{ name: 'jobs', partitions: 2, replicationFactor: 3 }]);
    const a = cluster.consumerGroup({ groupId: 'kit', topics: ['jobs'], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 100 });
    const b = cluster.consumerGroup({ groupId: 'kit', topics: ['jobs'], sessionTimeoutMs: 3000, heartbeatIntervalMs: 100 });
    await waitFor(() => a.assignment().length === 1 && b.assignment().length === 1 && a.generationId === b.generationId, { clock, timeoutMs: 60_000 });
    const d = await cluster.admin().describeGroup('kit');
    const found = await cluster.transport.send(1, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: ['kit'] });
    expect(d.coordinator).toBe(found.coordinators[0]!.nodeId);
    expect(cluster.nodeIdList).toContain(d.coordinator);
    expect(d.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());

    const generation = a.generationId;
    await crashGroupMember(b);
    // Crashed, not closed: it is still a member until its session runs out.
    const right = await cluster.admin().describeGroup('kit');
    expect(right.members.map((m) => m.memberId)).toContain(b.memberId);
    await waitFor(() => a.assignment().length === 2, { clock, timeoutMs: 60_000, message: "a owns b's partition" });
    expect(a.generationId).toBeGreaterThan(generation);
    expect((await cluster.admin().describeGroup('kit')).members.map((m) => m.memberId)).toEqual([a.memberId]);

    cluster.killNode(d.coordinator);
    const moved = await waitFor(async () => {
      const now = await cluster.admin().describeGroup('kit').catch(() => undefined);
      return now !== undefined && now.coordinator !== d.coordinator ? now.coordinator : undefined;
    }, { clock, timeoutMs: 90_000, message: 'a new coordinator' });
    expect(cluster.nodeIdList.filter((id) => id !== d.coordinator)).toContain(moved);
    await a.close();
  }, 240_000);
});
