/**
 * confluent-kafka-python 1.7.0 (librdkafka 2.0.2) against a 3-node cluster with listeners,
 * behaviour by behaviour, each compared with what Kafka does (docs/design/real-clients.md
 * lists the checks and their sources): the Producer with every codec, headers,
 * idempotence, acks 0 and 1, null keys and values and the exact max.message.bytes
 * boundary; the Consumer's partition API (watermarks, position, commit and committed,
 * offsets_for_times, seek, pause and resume, incremental assignment, auto.offset.reset);
 * and groups with each assignor, a member leaving, and a static member replaced without a
 * rebalance. The scripts are in test/wire/py/.
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { TcpClientTransport } from '../../src/transport/tcp/client.js';
import { requireClients, runPython } from './helpers/clients.js';
import { clusterForFile, readAll, storedCodecs, text, type WireCluster } from './helpers/cluster.js';

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

interface Report {
  error: string | null;
  partition: number;
  offset: number | null;
}
interface Matrix {
  cases: Record<string, { left: number; reports: Report[] }>;
  high: number;
  read: { offset: number; key: string | null; size: number | null; headers: [string, string | null][] | null }[];
}

const codecs = ['gzip', 'snappy', 'lz4', 'zstd', 'none'] as const;

describe('confluent-kafka-python behaviours over the wire, 3 nodes', { timeout: 400_000 }, () => {
  it('Producer: every codec with headers and idempotence, null key and value, acks 0 and 1, and the exact max.message.bytes boundary', async () => {
    const topic = 'pyb-produce';
    const maxBytes = 100_000;
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3, configs: { 'max.message.bytes': String(maxBytes) } }]);
    const out = await runPython<Matrix>('produce_matrix.py', [b, topic, maxBytes], { timeoutMs: 300_000 });
    const c = out.cases;
    let next = 0;
    for (const codec of codecs) {
      expect(c[codec]!.left, codec).toBe(0);
      // Twenty delivery reports, no error, offsets dense after the previous case's.
      expect(c[codec]!.reports.map((r) => [r.error, r.offset]), codec).toEqual(Array.from({ length: 20 }, (_, i) => [null, next + i]));
      next += 20;
    }
    expect(c['null-key']!.reports).toEqual([{ error: null, partition: 0, offset: next++ }]);
    expect(c['null-value']!.reports).toEqual([{ error: null, partition: 0, offset: next++ }]);
    expect(c.acks1!.reports).toEqual([{ error: null, partition: 0, offset: next++ }]);
    // Kafka refuses a batch larger than max.message.bytes: the largest one-record batch fits, one byte more does not.
    expect(c.largest!.reports).toEqual([{ error: null, partition: 0, offset: next++ }]);
    expect(c['one-byte-over']!.reports.map((r) => r.error)).toEqual(['MSG_SIZE_TOO_LARGE']);
    // acks=0, last: a delivery report without an offset (librdkafka's -1001 is None), and the record in the log.
    expect(c.acks0!.reports.map((r) => [r.error, r.offset])).toEqual([[null, null]]);
    next++;

    // Read back by the client: every accepted record, with its headers (an empty value and a null value kept apart).
    expect(out.high).toBe(next);
    expect(out.read.map((r) => r.offset)).toEqual(Array.from({ length: next }, (_, i) => i));
    for (const r of out.read.slice(0, 100)) expect(r.headers).toEqual([['trace', 'abc'], ['empty', ''], ['none', null]]);
    expect(out.read[100]).toMatchObject({ key: null, size: 6, headers: null });
    expect(out.read[101]).toMatchObject({ key: 'tombstone', size: null });
    expect(out.read[103]!.size).toBe(maxBytes - 72);
    expect(out.read[104]).toMatchObject({ key: null, size: 5 });

    // Tributary's own Consumer reads the same, and each codec reached the log compressed as sent.
    const own = await readAll(cluster, topic);
    expect(own.map((r) => r.offset)).toEqual(out.read.map((r) => r.offset));
    expect(own[101]!.value).toBeNull();
    expect(text(own[0]!.headers.find((h) => h.key === 'trace')!.value)).toBe('abc');
    const leader = (await cluster.admin().describeTopics([topic]))[0]!.partitions[0]!.leader;
    expect(new Set(storedCodecs(cluster, leader, topic, 0))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it('Consumer: watermarks, position, commits, offsets_for_times, seek, pause and resume, incremental assignment, auto.offset.reset', async () => {
    const topic = 'pyb-consumer';
    const t0 = 1_700_000_000_000;
    await cluster.admin().createTopics([{ name: topic, partitions: 2, replicationFactor: 3 }]);
    await cluster.producer().send(topic, Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: `v${i}`, timestamp: t0 + 1000 * i })));
    const out = await runPython('consumer_api.py', [b, topic, t0], { timeoutMs: 300_000 });
    expect(out).toEqual({
      partitions: [0, 1],
      brokers: 3,
      watermarks: [0, 20],
      first_after_assign_at_5: [5, 'v5'],
      position: 6,
      committed: 7,
      // Kafka refuses a commit for a topic or partition it does not have.
      commit_errors: { unknown_topic: 'UNKNOWN_TOPIC_OR_PART', unknown_partition: 'UNKNOWN_TOPIC_OR_PART' },
      // The first record whose timestamp is at or after the one asked; -1 past the last.
      offset_for_time: 13,
      offset_for_future_time: -1,
      after_seek_3: [3, 'v3'],
      while_paused: null,
      after_resume: [4, 'v4'],
      incremental_assign: [0, 1],
      incremental_unassign: [1],
      // Fetching offset 1000 of 20 is OFFSET_OUT_OF_RANGE, which each reset policy handles as in Kafka.
      reset_earliest: [0, 'v0'],
      reset_latest: [true, 'late'],
      reset_error: ['error', '_AUTO_OFFSET_RESET'],
    });
    const { offsets } = await cluster.admin().describeGroup(`${topic}-api`);
    expect(offsets.map((o) => [o.partition, o.committed])).toEqual([[0, 7]]);
  });

  it('groups: range, roundrobin and cooperative-sticky share a topic between two members and hand it back; a static member is replaced without a rebalance', async () => {
    const topic = 'pyb-groups';
    await cluster.admin().createTopics([{ name: topic, partitions: 3, replicationFactor: 3 }]);
    type Out = { both: boolean; a: number[]; b: number[]; after_leave?: boolean; replacement?: boolean; b2?: number[]; a_final: number[]; events: [string, string, number[]][] };
    const run = (assignor: string, isStatic = false): Promise<Out> => runPython<Out>('group_assignors.py', [b, topic, `pyb-${assignor}${isStatic ? '-static' : ''}`, assignor, ...(isStatic ? ['static'] : [])], { timeoutMs: 300_000 });
    const [range, roundrobin, sticky, fixed] = await Promise.all([run('range'), run('roundrobin'), run('cooperative-sticky'), run('range', true)]);

    // Kafka's assignors, computed by the client's leader and handed out by the coordinator.
    expect([range.a, range.b]).toEqual([[0, 1], [2]]);
    expect([roundrobin.a, roundrobin.b]).toEqual([[0, 2], [1]]);
    for (const r of [range, roundrobin, sticky]) {
      expect(r.both).toBe(true);
      expect(r.after_leave).toBe(true);
      expect(r.a_final).toEqual([0, 1, 2]);
    }
    expect([...sticky.a, ...sticky.b].sort()).toEqual([0, 1, 2]);
    expect(sticky.b).toHaveLength(1);
    // Cooperative: the first member gives up only the partition that moves, never all three.
    const aRevokes = sticky.events.filter(([who, what]) => who === 'a' && what === 'revoke').map(([, , ps]) => ps);
    expect(aRevokes.length).toBeGreaterThan(0);
    for (const ps of aRevokes) expect(ps.length).toBeLessThan(3);

    // Static membership: the replacement with the same group.instance.id gets the same
    // partitions, and the other member sees no rebalance after the first one.
    expect(fixed.replacement).toBe(true);
    expect(fixed.b2).toEqual(fixed.b);
    const closedAt = fixed.events.findIndex(([who, what]) => who === 'b' && what === 'closed');
    expect(fixed.events.slice(closedAt).filter(([who]) => who === 'a')).toEqual([]);
    expect(fixed.a_final).toEqual(fixed.a);
  });

  it('every node crashed and restarted while an idempotent Producer sends: each record once, in order, from the producer state each node rebuilt from its log', async () => {
    const topic = 'pyb-restart';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
    let crash: (() => void) | undefined;
    const crashed = new Promise<void>((resolve) => (crash = resolve));
    const produced = runPython<{ acked: { offset: number; value: string }[]; failed: unknown[]; unflushed: number }>('producer.py', [b, topic, 400, 'all', 'none', 10], {
      timeoutMs: 420_000,
      onStderr: (t) => {
        if (/sent (1\d\d|[2-9]\d\d)/.test(t)) crash?.();
      },
    });
    await crashed;
    for (const id of [1, 2, 3]) cluster.killNode(id);
    // Together: a node's restart waits for its registration, which needs a quorum of controllers.
    await Promise.all([1, 2, 3].map((id) => cluster.restartNode(id)));
    const out = await produced;
    expect(out.failed).toEqual([]);
    expect(out.unflushed).toBe(0);
    expect(out.acked).toHaveLength(400);
    // The retried batches were not appended again: the offsets are dense, and the log holds each value once, in order.
    expect(out.acked.map((a) => a.offset).sort((x, y) => x - y)).toEqual(out.acked.map((_, i) => i));
    const values = (await readAll(cluster, topic)).map((r) => text(r.value));
    expect(values).toEqual(Array.from({ length: 400 }, (_, i) => `py-${i}`));
  }, 600_000);

  it('ListOffsets naming one partition twice: each copy is answered INVALID_REQUEST, as Kafka answers it', async () => {
    const topic = 'pyb-list-offsets';
    await cluster.admin().createTopics([{ name: topic, partitions: 2, replicationFactor: 3 }]);
    await cluster.producer().send(topic, [{ partition: 0, value: 'x' }, { partition: 1, value: 'y' }]);
    const t = new TcpClientTransport({ bootstrapServers: b });
    try {
      const meta = await t.send(-1, { apiKey: ApiKey.Metadata, topics: [{ name: topic }], allowAutoTopicCreation: false });
      const leaders = meta.topics[0]!.partitions.map((p) => p.leaderId);
      const answer = await t.send(leaders[0]!, {
        apiKey: ApiKey.ListOffsets,
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          { name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] },
          { name: topic, partitions: [{ partitionIndex: 0, timestamp: -2 }] },
          ...(leaders[1] === leaders[0] ? [{ name: topic, partitions: [{ partitionIndex: 1, timestamp: -1 }] }] : []),
        ],
      });
      const rows = answer.topics.flatMap((x) => x.partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset]));
      expect(rows.slice(0, 2)).toEqual([
        [0, 'INVALID_REQUEST', -1],
        [0, 'INVALID_REQUEST', -1],
      ]);
      // A partition named once in the same request is answered as usual.
      if (leaders[1] === leaders[0]) expect(rows[2]).toEqual([1, 'NONE', 1]);
    } finally {
      await t.close();
    }
  });
});
