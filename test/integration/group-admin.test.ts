/** Admin over consumer groups: list, describe (members, assignment, lag), reset offsets, delete. */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { serdes } from '../../src/client/serde.js';

// A session long enough that a loaded machine never expires a live member.
const fast = { heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000, maxWaitMs: 20, autoCommitIntervalMs: 50 } as const;

describe('Admin and consumer groups', () => {
  it('lists and describes a group, resets its offsets once it is empty, and deletes it', async () => {
    await using cluster = await Cluster.start({ nodes: 3 });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'orders', partitions: 4, replicationFactor: 3 }]);
    const orders = cluster.topic('orders', { key: serdes.string, value: serdes.string });
    await orders.send(Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 7}`, value: `v${i}` })));

    const group = cluster.consumerGroup({ groupId: 'billing', topics: ['orders'], from: 'earliest', value: serdes.string, ...fast });
    let read = 0;
    for await (const _ of group) if (++read === 30) break;
    await group.commit();

    expect(await admin.listGroups()).toEqual([{ groupId: 'billing', state: 'Stable', protocolType: 'consumer' }]);
    const d = await admin.describeGroup('billing');
    expect(d.state).toBe('Stable');
    expect(d.protocol).toBe('range');
    expect(d.members).toHaveLength(1);
    // Kafka's MemberDescription.host(): here the in-process connection's name (over TCP, /127.0.0.1: test/remote/group-client-host.test.ts).
    expect(d.members[0]!.clientHost).toMatch(/^in-process:/);
    expect(d.members[0]!.assignment.map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
    // The loop broke inside its 30th body: that record counts as not processed (at least once).
    expect(d.offsets.reduce((n, o) => n + o.committed, 0)).toBe(29);
    expect(d.offsets.reduce((n, o) => n + o.lag, 0)).toBe(11);
    expect(d.offsets.every((o) => o.end >= o.committed)).toBe(true);

    // A live group's offsets cannot be reset or the group deleted.
    await expect(admin.resetGroupOffsets('billing', 'orders', 'earliest')).rejects.toMatchObject({ name: 'TributaryError' });
    await expect(admin.deleteGroup('billing')).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });

    await group.close();
    const reset = await admin.resetGroupOffsets('billing', 'orders', 'earliest');
    expect(reset.map((r) => r.offset)).toEqual([0, 0, 0, 0]);
    const after = await admin.describeGroup('billing');
    expect(after.state).toBe('Empty');
    expect(after.offsets.reduce((n, o) => n + o.lag, 0)).toBe(40);

    // The group resumes where the reset put it: from the beginning.
    const again = cluster.consumerGroup({ groupId: 'billing', topics: ['orders'], value: serdes.string, ...fast });
    let reread = 0;
    for await (const _ of again) if (++reread === 40) break;
    await again.close();
    expect(reread).toBe(40);

    // An offset past a partition's end is moved to the end, as Kafka's reset tool does.
    await admin.resetGroupOffsets('billing', 'orders', 5);
    const five = (await admin.describeGroup('billing')).offsets;
    expect(five.map((o) => o.committed)).toEqual(five.map((o) => Math.min(5, o.end)));
    expect(five.some((o) => o.committed === 5)).toBe(true);
    await admin.deleteGroup('billing');
    expect(await admin.listGroups()).toEqual([]);
    await expect(admin.deleteGroup('billing')).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
    await expect(admin.describeGroup('')).rejects.toMatchObject({ code: 'INVALID_GROUP_ID' });
  });
});
