/**
 * The group coordinator's offset answers over the wire, each as Kafka gives it (facts from
 * apache/kafka's `OffsetMetadataManager`, `ClassicGroup.validateOffsetCommit`,
 * `GroupCoordinatorService` and `KafkaApis.handleOffsetFetchRequest`):
 * - OffsetFetch v8 with several groups (KIP-709, what Kafka's admin sends for
 *   `listConsumerGroupOffsets` of several groups): each group answered on its own, a group
 *   another broker coordinates NOT_COORDINATOR with no topics; a batch of none answered
 *   with none. Before session 13 the listener refused any batch but one group and closed
 *   the connection.
 * - OffsetCommit's refusals: a generation for a group that does not exist, a stale
 *   generation, an unknown member, a simple commit (generation -1) to a group with members,
 *   a partition or topic that does not exist beside one that does; metadata kept and read
 *   back, a null metadata read back as `""`, a retention of -1 (v2) taken; OffsetFetch of
 *   every partition (null topics), of a group that has none, and of partitions without an
 *   offset (-1, `""`, NONE).
 * Requests are KafkaJS's encoders (v2, v4, v5) or written by hand (v7, v8), never
 * Tributary's codec.
 */
import { createRequire } from 'node:module';
import { type Kafka, type Admin as KafkaAdmin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually } from './helpers/clients.js';
import type { WireCluster } from './helpers/cluster.js';
import { kafkaJsForFile } from './helpers/kafkajs.js';
import { RawConnection, requestMessage, sized } from './helpers/raw-client.js';
import { everyNodeKnows } from '../helpers/node-image.js';

const require = createRequire(import.meta.url);
type KafkaJsRequest = { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
type KafkaJsResponse = { decode(b: Buffer): Promise<Record<string, unknown>> };
const kjs = (path: string): ((o: Record<string, unknown>) => KafkaJsRequest) => require(`kafkajs/src/protocol/requests/${path}/request`);
const kjsResponse = (path: string): KafkaJsResponse => require(`kafkajs/src/protocol/requests/${path}/response`);

let cluster: WireCluster;
let kafka: Kafka;
let admin: KafkaAdmin;
kafkaJsForFile('wire-group-offsets', (c, k, a) => {
  cluster = c;
  kafka = k;
  admin = a;
});

let correlationId = 1;

/** One request on a fresh connection; the response frame after its correlation id. */
async function ask(address: string, apiKey: number, version: number, body: Buffer, flexible = false): Promise<Buffer> {
  const id = correlationId++;
  // Request header v2 (flexible versions) adds an empty tag buffer after the client id.
  const message = flexible ? Buffer.concat([requestMessage(apiKey, version, id), Buffer.from([0])]) : requestMessage(apiKey, version, id, body);
  const conn = await RawConnection.open(address);
  try {
    conn.write(sized(flexible ? Buffer.concat([message, body]) : message));
    const frame = await conn.next(60_000);
    if (typeof frame === 'string') throw new Error(`no answer to API ${apiKey} v${version}: the connection ${frame}`);
    expect(frame.readInt32BE(0)).toBe(id);
    // Response header v1 (flexible) carries a tag buffer after the correlation id.
    return frame.subarray(flexible ? 5 : 4);
  } finally {
    conn.close();
  }
}

async function askKafkaJs(address: string, path: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = kjs(path)(args);
  return kjsResponse(path).decode(await ask(address, r.apiKey, r.apiVersion, (await r.encode()).buffer));
}

/** `host:port` of the group's coordinator (FindCoordinator v0, written by hand). */
async function coordinatorOf(groupId: string): Promise<{ nodeId: number; address: string }> {
  const key = Buffer.from(groupId);
  const body = Buffer.concat([Buffer.from([key.length >> 8, key.length & 0xff]), key]);
  const r = await ask(cluster.bootstrapServers.split(',')[0]!, 10, 0, body);
  expect(r.readInt16BE(0)).toBe(0);
  const nodeId = r.readInt32BE(2);
  const hostLength = r.readInt16BE(6);
  const host = r.subarray(8, 8 + hostLength).toString();
  return { nodeId, address: `${host}:${r.readInt32BE(8 + hostLength)}` };
}

// ---- OffsetFetch v8, by hand (flexible: compact strings and arrays, tag buffers) ----

const uvarint = (n: number): Buffer => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
};
const compactString = (s: string): Buffer => Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]);
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const noTags = Buffer.from([0]);

type WantedTopics = readonly [string, readonly number[]][] | null;

function offsetFetchV8(groups: readonly [string, WantedTopics][]): Buffer {
  const topics = (ts: WantedTopics): Buffer =>
    ts === null ? Buffer.from([0]) : Buffer.concat([uvarint(ts.length + 1), ...ts.map(([name, ps]) => Buffer.concat([compactString(name), uvarint(ps.length + 1), ...ps.map(int32), noTags]))]);
  const body = groups.map(([g, ts]) => Buffer.concat([compactString(g), topics(ts), noTags]));
  return Buffer.concat([uvarint(groups.length + 1), ...body, Buffer.from([0]) /* requireStable */, noTags]);
}

interface FetchedGroup {
  groupId: string;
  errorCode: number;
  topics: { name: string; partitions: { partition: number; offset: bigint; leaderEpoch: number; metadata: string | null; errorCode: number }[] }[];
}

function readOffsetFetchV8(b: Buffer): { throttleTimeMs: number; groups: FetchedGroup[] } {
  let pos = 0;
  const uv = (): number => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const byte = b[pos++]!;
      n |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return n;
      shift += 7;
    }
  };
  const str = (): string | null => {
    const n = uv() - 1;
    if (n < 0) return null;
    const s = b.subarray(pos, pos + n).toString();
    pos += n;
    return s;
  };
  const tags = (): void => {
    expect(uv()).toBe(0);
  };
  const array = <T>(item: () => T): T[] => Array.from({ length: uv() - 1 }, item);
  const throttleTimeMs = b.readInt32BE(pos);
  pos += 4;
  const groups = array((): FetchedGroup => {
    const groupId = str()!;
    const topics = array(() => {
      const name = str()!;
      const partitions = array(() => {
        const partition = b.readInt32BE(pos);
        const offset = b.readBigInt64BE(pos + 4);
        const leaderEpoch = b.readInt32BE(pos + 12);
        pos += 16;
        const metadata = str();
        const errorCode = b.readInt16BE(pos);
        pos += 2;
        tags();
        return { partition, offset, leaderEpoch, metadata, errorCode };
      });
      tags();
      return { name, partitions };
    });
    const errorCode = b.readInt16BE(pos);
    pos += 2;
    tags();
    return { groupId, topics, errorCode };
  });
  tags();
  expect(pos).toBe(b.length);
  return { throttleTimeMs, groups };
}

describe('the group coordinator answers offset requests as Kafka does, 3 nodes', { timeout: 300_000 }, () => {
  it('OffsetFetch v8 with several groups (KIP-709): each group answered, NOT_COORDINATOR for one another broker coordinates, none for a batch of none', async () => {
    const topic = 'kjo-batch';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    await everyNodeKnows(cluster, topic);
    // Three groups with one coordinator, and one with another: found by asking (a group's
    // coordinator is the leader of its __consumer_offsets partition).
    const byNode = new Map<number, string[]>();
    for (let i = 0; i < 200; i++) {
      const g = `kjo-g${i}`;
      const c = await coordinatorOf(g);
      byNode.set(c.nodeId, [...(byNode.get(c.nodeId) ?? []), g]);
      const nodes = [...byNode.entries()].sort((x, y) => y[1].length - x[1].length);
      if (nodes.length >= 2 && nodes[0]![1].length >= 3) break;
    }
    const nodes = [...byNode.entries()].sort((x, y) => y[1].length - x[1].length);
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    const [[, [a, b, empty]], [, [elsewhere]]] = nodes as [[number, string[]], [number, string[]]];
    const here = (await coordinatorOf(a!)).address;
    await admin.setOffsets({ groupId: a!, topic, partitions: [{ partition: 0, offset: '4' }] });
    await admin.setOffsets({ groupId: b!, topic, partitions: [{ partition: 1, offset: '7' }] });
    await admin.setOffsets({ groupId: elsewhere!, topic, partitions: [{ partition: 0, offset: '9' }] });

    const answer = readOffsetFetchV8(
      await ask(
        here,
        9,
        8,
        offsetFetchV8([
          [a!, null],
          [b!, [[topic, [0, 1]]]],
          [empty!, null],
          [elsewhere!, null],
        ]),
        true,
      ),
    );
    expect(answer.groups).toEqual([
      { groupId: a, errorCode: 0, topics: [{ name: topic, partitions: [{ partition: 0, offset: 4n, leaderEpoch: -1, metadata: '', errorCode: 0 }] }] },
      {
        groupId: b,
        errorCode: 0,
        topics: [
          {
            name: topic,
            partitions: [
              { partition: 0, offset: -1n, leaderEpoch: -1, metadata: '', errorCode: 0 },
              { partition: 1, offset: 7n, leaderEpoch: -1, metadata: '', errorCode: 0 },
            ],
          },
        ],
      },
      // A group with no offsets: no topics, no error (Kafka's fetchAllOffsets of an unknown group).
      { groupId: empty, errorCode: 0, topics: [] },
      // NOT_COORDINATOR (16): the client asks that group's coordinator on its own.
      { groupId: elsewhere, errorCode: 16, topics: [] },
    ]);
    // The group's own coordinator answers it.
    const there = readOffsetFetchV8(await ask((await coordinatorOf(elsewhere!)).address, 9, 8, offsetFetchV8([[elsewhere!, null], [a!, null]]), true));
    expect(there.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.offset))])).toEqual([
      [elsewhere, 0, [9n]],
      [a, 16, []],
    ]);
    // A batch of no group is answered with none.
    expect(readOffsetFetchV8(await ask(here, 9, 8, offsetFetchV8([]), true)).groups).toEqual([]);
    // A batch of one is the one-group answer (the path every client took before).
    expect(readOffsetFetchV8(await ask(here, 9, 8, offsetFetchV8([[a!, [[topic, [0]]]]]), true)).groups).toEqual([answer.groups[0]]);
  });

  it("OffsetCommit's refusals and OffsetFetch's answers, beside a live KafkaJS member", async () => {
    const topic = 'kjo-commit';
    const groupId = 'kjo-commit-g';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    await everyNodeKnows(cluster, topic);
    // Records, so the offsets committed below are inside the partitions (a member would reset one past the end).
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `r${i}` })) });
    await producer.disconnect();
    const coordinator = (await coordinatorOf(groupId)).address;
    const commit = async (group: string, generation: number, memberId: string, partitions: [string, number, string, string | null][], version: 2 | 5 = 5): Promise<[string, number, number][]> => {
      const topics = [...new Set(partitions.map(([t]) => t))].map((t) => ({ topic: t, partitions: partitions.filter(([x]) => x === t).map(([, partition, offset, metadata]) => ({ partition, offset, metadata })) }));
      const r = (await askKafkaJs(coordinator, `offsetCommit/v${version}`, { groupId: group, groupGenerationId: generation, memberId, retentionTime: -1, topics })) as { responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] };
      return r.responses.flatMap((t) => t.partitions.map((p): [string, number, number] => [t.topic, p.partition, p.errorCode]));
    };
    type Fetched = { responses: { topic: string; partitions: { partition: number; offset: string; metadata: string | null; errorCode: number }[] }[]; errorCode: number };
    const fetchOffsets = async (group: string, topics: { topic: string; partitions: { partition: number }[] }[] | null): Promise<Fetched> => {
      if (topics !== null) return (await askKafkaJs(coordinator, 'offsetFetch/v4', { groupId: group, topics })) as Fetched;
      // KafkaJS's encoder cannot write a null topic array: v4 by hand (string group id, int32 -1).
      const g = Buffer.from(group);
      const body = Buffer.concat([Buffer.from([g.length >> 8, g.length & 0xff]), g, int32(-1)]);
      return (await kjsResponse('offsetFetch/v4').decode(await ask(coordinator, 9, 4, body))) as Fetched;
    };

    // A generation for a group that does not exist: ILLEGAL_GENERATION (22) below v9.
    expect(await commit('kjo-nobody', 3, 'm', [[topic, 0, '1', null]])).toEqual([[topic, 0, 22]]);
    // A simple commit (generation -1) creates the group; a partition and a topic that do not
    // exist are refused UNKNOWN_TOPIC_OR_PARTITION (3) each, and the rest is taken.
    expect(
      await commit(groupId, -1, '', [
        [topic, 0, '5', 'meta!'],
        [topic, 7, '1', null],
        ['kjo-missing', 0, '1', null],
      ]),
    ).toEqual([
      [topic, 0, 0],
      [topic, 7, 3],
      ['kjo-missing', 0, 3],
    ]);
    // v2 with a retention of -1 (the broker's): taken; a null metadata is read back as "".
    expect(await commit(groupId, -1, '', [[topic, 1, '6', null]], 2)).toEqual([[topic, 1, 0]]);

    // Every partition the group has committed (null topics), with its metadata.
    const all = await fetchOffsets(groupId, null);
    expect(all.errorCode).toBe(0);
    expect(all.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.offset, p.metadata, p.errorCode])])).toEqual([
      [
        topic,
        [
          [0, '5', 'meta!', 0],
          [1, '6', '', 0],
        ],
      ],
    ]);
    // Partitions with no offset, of a topic that does not exist too: -1, "", NONE.
    const some = await fetchOffsets(groupId, [
      { topic, partitions: [{ partition: 0 }, { partition: 9 }] },
      { topic: 'kjo-missing', partitions: [{ partition: 0 }] },
    ]);
    expect(some.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.offset, p.metadata, p.errorCode])])).toEqual([
      [
        topic,
        [
          [0, '5', 'meta!', 0],
          [9, '-1', '', 0],
        ],
      ],
      ['kjo-missing', [[0, '-1', '', 0]]],
    ]);
    // A group that has none: every partition -1; null topics: no topics.
    expect((await fetchOffsets('kjo-none', null)).responses).toEqual([]);

    // A live member (KafkaJS, no auto-commit).
    const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    let memberId = '';
    consumer.on(consumer.events.GROUP_JOIN, (e) => (memberId = e.payload.memberId));
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({ autoCommit: false, eachMessage: async () => {} });
      await eventually('the member joined', () => (memberId !== '' ? true : undefined), 120_000);
      // A simple commit to a group with members: UNKNOWN_MEMBER_ID (25).
      expect(await commit(groupId, -1, '', [[topic, 0, '1', null]])).toEqual([[topic, 0, 25]]);
      // A member the group does not have: UNKNOWN_MEMBER_ID; the member with a generation not the group's: ILLEGAL_GENERATION.
      expect(await commit(groupId, 1, 'kjo-stranger', [[topic, 0, '1', null]])).toEqual([[topic, 0, 25]]);
      expect(await commit(groupId, 1000, memberId, [[topic, 0, '1', null]])).toEqual([[topic, 0, 22]]);
      // None of them moved an offset; the member's own commit does (KafkaJS commitOffsets).
      await consumer.commitOffsets([{ topic, partition: 0, offset: '8' }]);
      expect((await fetchOffsets(groupId, [{ topic, partitions: [{ partition: 0 }, { partition: 1 }] }])).responses[0]!.partitions.map((p) => p.offset)).toEqual(['8', '6']);
      // DeleteGroups of a group with a member: NON_EMPTY_GROUP (68).
      await expect(admin.deleteGroups([groupId])).rejects.toMatchObject({ groups: [{ groupId, errorCode: 68 }] });
    } finally {
      await consumer.disconnect();
    }
    await expect(admin.deleteGroups([groupId])).resolves.toEqual([{ groupId, errorCode: 0 }]);
  });
});
