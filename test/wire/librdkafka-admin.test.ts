/**
 * librdkafka 2.0.2's own Admin API (the C library under Debian's kcat and
 * confluent-kafka-python, called through ctypes by `py/rdkafka_admin.py`, since the 1.7.0
 * Python binding predates these calls) against a 3-node cluster with listeners:
 * ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets,
 * AlterConsumerGroupOffsets, DeleteConsumerGroupOffsets (OffsetDelete, KIP-496),
 * DeleteRecords and DeleteGroups; and a transactional producer's init_transactions(),
 * which must fail at once with a fatal error rather than wait out its timeout.
 */
import { describe, expect, it } from 'vitest';
import { eventually, kcat, kcatBase, requireClients, runPython, start } from './helpers/clients.js';
import { clusterForFile, type WireCluster } from './helpers/cluster.js';

let cluster: WireCluster;
let b: string;
clusterForFile(
  { nodes: 3 },
  (c) => {
    cluster = c;
    b = c.bootstrapServers;
  },
  requireClients,
);

/** [topic, partition, offset, error name or null], as `partitions_of` in rdkafka_admin.py prints them. */
type Row = [string, number, number, string | null];
interface GroupResult {
  group: string;
  error: string | null;
  message: string | null;
  partitions: Row[] | null;
}
interface Described {
  group: string;
  error: string | null;
  state: string;
  assignor: string | null;
  coordinator: number | null;
  members: { client_id: string; assignment: Row[] | null }[];
}
type Op = Record<string, unknown>;
type Result = { error: string | null; message?: string; groups?: unknown; offsets?: Row[] | null; errors?: string[] };

async function admin(ops: Op[]): Promise<Result[]> {
  const out = await runPython<Result[]>('rdkafka_admin.py', [b, JSON.stringify(ops)], { timeoutMs: 240_000 });
  for (const [i, r] of out.entries()) expect(r.error, `${JSON.stringify(ops[i])}: ${r.message ?? ''}`).toBeNull();
  return out;
}

const offsetsOf = (r: Result): Row[] => (r.groups as GroupResult[])[0]!.partitions!;

describe('librdkafka 2.0.2 Admin API over the wire, 3 nodes', { timeout: 400_000 }, () => {
  it('lists, describes and alters a group, deletes the offsets of a topic no member reads (not of one a member reads), deletes records and the group', async () => {
    const group = 'rdk-admin-group';
    await cluster.admin().createTopics([
      { name: 'rdk-read', partitions: 2, replicationFactor: 3 },
      { name: 'rdk-old', partitions: 2, replicationFactor: 3 },
    ]);
    for (const topic of ['rdk-read', 'rdk-old']) await cluster.producer().send(topic, Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `v${i}` })));

    // The group's coordinator loaded first (our admin waits out COORDINATOR_LOAD_IN_PROGRESS):
    // on a loaded machine librdkafka's first request otherwise met the offsets topic still
    // being created and loaded, and gave up with COORDINATOR_NOT_AVAILABLE (seen once at load 15).
    await expect(cluster.admin().describeGroup(group)).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
    // AlterConsumerGroupOffsets (OffsetCommit outside group management) gives the group offsets on both topics.
    const [altered] = await admin([{ op: 'alter_offsets', group, partitions: [['rdk-read', 0, 3], ['rdk-read', 1, 4], ['rdk-old', 0, 5], ['rdk-old', 1, 6]] }]);
    expect((altered!.groups as GroupResult[])[0]!.partitions!.map((p) => p[3])).toEqual([null, null, null, null]);

    // A kcat member joins and reads only rdk-read.
    const member = start(kcat, kcatBase(b, ['-G', group, 'rdk-read', '-f', '%p:%o\n', '-X', 'enable.auto.commit=false']), { timeoutMs: 300_000 });
    try {
      await eventually('the kcat member to be assigned', () => (/assigned: .*rdk-read/.test(member.stderr()) ? true : undefined), 120_000);

      const [listed, described, before] = await admin([{ op: 'list_groups' }, { op: 'describe_groups', groups: [group] }, { op: 'list_offsets', group, partitions: null }]);
      expect(listed!.errors).toEqual([]);
      expect(listed!.groups).toContainEqual([group, 'Stable', false]);
      const d = (described!.groups as Described[])[0]!;
      expect(d).toMatchObject({ group, error: null, state: 'Stable', assignor: 'range' });
      expect(d.members).toHaveLength(1);
      expect(d.members[0]!.assignment!.map((p) => `${p[0]}-${p[1]}`)).toEqual(['rdk-read-0', 'rdk-read-1']);
      // ListConsumerGroupOffsets for all partitions (OffsetFetch v7 with null topics).
      expect(offsetsOf(before!).map((p) => `${p[0]}-${p[1]}@${p[2]}`)).toEqual(['rdk-old-0@5', 'rdk-old-1@6', 'rdk-read-0@3', 'rdk-read-1@4']);

      // DeleteConsumerGroupOffsets: refused for the topic the member reads, done for the other; an unknown topic is named.
      const [deleted, after] = await admin([
        { op: 'delete_offsets', group, partitions: [['rdk-read', 0], ['rdk-old', 0], ['rdk-old', 1], ['rdk-missing', 0]] },
        { op: 'list_offsets', group, partitions: null },
      ]);
      const rows = offsetsOf(deleted!);
      expect(Object.fromEntries(rows.map((p) => [`${p[0]}-${p[1]}`, p[3]]))).toEqual({
        'rdk-read-0': 'GROUP_SUBSCRIBED_TO_TOPIC',
        'rdk-old-0': null,
        'rdk-old-1': null,
        'rdk-missing-0': 'UNKNOWN_TOPIC_OR_PART',
      });
      expect(offsetsOf(after!).map((p) => `${p[0]}-${p[1]}@${p[2]}`)).toEqual(['rdk-read-0@3', 'rdk-read-1@4']);
      // Tributary's own admin sees the same committed offsets.
      const own = await cluster.admin().describeGroup(group);
      expect(own.offsets.map((o) => `${o.topic}-${o.partition}@${o.committed}`).sort()).toEqual(['rdk-read-0@3', 'rdk-read-1@4']);

      // A group with a member cannot be deleted.
      const [refused] = await admin([{ op: 'delete_groups', groups: [group] }]);
      expect((refused!.groups as GroupResult[])[0]!.error).toBe('NON_EMPTY_GROUP');
    } finally {
      member.child.kill('SIGTERM');
      await member.done;
    }

    // Once the member has left, its topic's offsets may go too; then records and the group.
    await eventually('the group to be Empty', async () => {
      const [d] = await admin([{ op: 'describe_groups', groups: [group] }]);
      return (d!.groups as Described[])[0]!.state === 'Empty' ? true : undefined;
    }, 120_000, 500);
    const [gone, records, groups, listed] = await admin([
      { op: 'delete_offsets', group, partitions: [['rdk-read', 0]] },
      { op: 'delete_records', partitions: [['rdk-old', 0, 4], ['rdk-old', 1, -1]] },
      { op: 'delete_groups', groups: [group, 'rdk-no-such-group'] },
      { op: 'list_groups' },
    ]);
    expect(offsetsOf(gone!)).toEqual([['rdk-read', 0, -1001, null]]);
    expect(records!.offsets).toEqual([['rdk-old', 0, 4, null], ['rdk-old', 1, 10, null]]);
    expect(Object.fromEntries((groups!.groups as GroupResult[]).map((g) => [g.group, g.error]))).toEqual({ [group]: null, 'rdk-no-such-group': 'GROUP_ID_NOT_FOUND' });
    expect((listed!.groups as [string, string, boolean][]).map((g) => g[0])).not.toContain(group);
    const starts = await cluster.admin().listOffsets('rdk-old', 'earliest');
    expect(starts.map((s) => [s.partition, s.offset])).toEqual([[0, 4], [1, 10]]);
  });

  it('init_transactions() fails at once with a fatal error that says why, instead of waiting out its timeout', async () => {
    const r = await runPython<{ code: number; name: string | null; fatal: boolean; retriable: boolean; message: string }>('transactions.py', [b, 90], { timeoutMs: 240_000 });
    // Before: _TIMED_OUT (-185) after the full 90 s, not fatal.
    expect(r).toMatchObject({ name: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', code: 53, fatal: true });
    expect(r.message).toContain('does not support transactions');
  });
});
