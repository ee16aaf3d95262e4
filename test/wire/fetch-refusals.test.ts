/**
 * The Fetch path's refusals against Kafka's, on a real socket (three nodes):
 *
 * - an offset below the log start (after DeleteRecords) or past the log end:
 *   OFFSET_OUT_OF_RANGE, which KafkaJS's consumer (`fromBeginning` true and false) and
 *   confluent-kafka's (`auto.offset.reset` earliest, latest, error) each resolve as
 *   against Kafka;
 * - a partition whose leader moved: the old leader, now a follower, answers a fetch with
 *   the old `current_leader_epoch` FENCED_LEADER_EPOCH (Kafka checks the epoch before
 *   leadership; it was NOT_LEADER_OR_FOLLOWER), with a newer one UNKNOWN_LEADER_EPOCH,
 *   with its own epoch NOT_LEADER_OR_FOLLOWER; the new leader answers the old epoch
 *   FENCED_LEADER_EPOCH;
 * - OffsetForLeaderEpoch (KIP-320, what a consumer asks after a leader change): the old
 *   epoch's end offset from the new leader, the same epoch rules (it was advertised and
 *   answered UNSUPPORTED_VERSION);
 * - a deleted topic: UNKNOWN_TOPIC_OR_PARTITION;
 * - isolation_level read_committed (librdkafka's default): the same records, and a last
 *   stable offset equal to the high watermark (no transactions, so nothing is open);
 * - a request `max_bytes` of 0: at least the first batch, as Kafka's KIP-74 rule gives.
 *
 * Requests from KafkaJS's own Fetch v11 encoder; answers read byte by byte.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, requireClients, runPython } from './helpers/clients.js';
import { nodeAddress, startWireCluster, type WireCluster } from './helpers/cluster.js';
import { RawConnection, requestMessage, sized } from './helpers/raw-client.js';
import { rawFetchV11, type RawFetchAnswer } from './helpers/raw-fetch.js';

let cluster: WireCluster;
let correlationId = 1;

beforeAll(async () => {
  requireClients();
  cluster = await startWireCluster({ nodes: 3 });
}, 120_000);
afterAll(async () => {
  await cluster?.close();
}, 120_000);

interface FetchedPartition extends RawFetchAnswer {
  recordBytes: number;
  firstBaseOffset: bigint | undefined;
}

/** One partition of a Fetch v11 to node `nodeId`, read by hand. */
async function fetchOne(nodeId: number, topic: string, part: { partition?: number; fetchOffset: number; currentLeaderEpoch?: number; maxBytes?: number }, request: { maxBytes?: number; isolationLevel?: number } = {}): Promise<FetchedPartition> {
  const [answer] = await rawFetchV11(nodeAddress(cluster, nodeId), topic, [{ ...part, partition: part.partition ?? 0 }], request);
  const records = answer!.records;
  return { ...answer!, recordBytes: records.length, firstBaseOffset: records.length >= 8 ? records.readBigInt64BE(0) : undefined };
}

/** OffsetForLeaderEpoch v2 (written by hand) for partition 0 of `topic` to node `nodeId`: [error, leader epoch, end offset]. */
async function endOffsetFor(nodeId: number, topic: string, currentLeaderEpoch: number, leaderEpoch: number): Promise<[number, number, bigint]> {
  const name = Buffer.from(topic);
  const body = Buffer.alloc(4 + 2 + name.length + 4 + 12);
  let at = body.writeInt32BE(1, 0);
  at = body.writeInt16BE(name.length, at);
  at += name.copy(body, at);
  at = body.writeInt32BE(1, at);
  at = body.writeInt32BE(0, at);
  at = body.writeInt32BE(currentLeaderEpoch, at);
  body.writeInt32BE(leaderEpoch, at);
  const conn = await RawConnection.open(nodeAddress(cluster, nodeId));
  try {
    const id = correlationId++;
    conn.write(sized(requestMessage(23, 2, id, body)));
    const frame = await conn.next(60_000);
    if (typeof frame === 'string') throw new Error(`no answer: ${frame}`);
    expect(frame.readInt32BE(0)).toBe(id);
    // throttle, one topic and its name, one partition: error, index, leader epoch, end offset.
    const pos = 4 + 4 + 4 + 2 + name.length + 4;
    return [frame.readInt16BE(pos), frame.readInt32BE(pos + 6), frame.readBigInt64BE(pos + 10)];
  } finally {
    conn.close();
  }
}

async function describe1(topic: string): Promise<{ leader: number; leaderEpoch: number; replicas: readonly number[] }> {
  const [d] = await cluster.admin().describeTopics([topic]);
  return d!.partitions[0]!;
}

describe('the Fetch path’s refusals against Kafka’s', { timeout: 300_000 }, () => {
  it('an offset out of range: OFFSET_OUT_OF_RANGE, resolved by KafkaJS and confluent-kafka as against Kafka', async () => {
    const topic = 'trimmed';
    const admin = cluster.admin();
    await admin.createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
    // A batch a record, so that the log start falls on a batch boundary.
    const first = cluster.producer({ acks: 'all' });
    for (let i = 0; i < 10; i++) await first.send(topic, [{ value: `r${i}` }]);
    await admin.deleteRecords(topic, { 0: 5 });
    const { leader } = await describe1(topic);
    expect((await fetchOne(leader, topic, { fetchOffset: 2 })).errorCode).toBe(1);
    expect((await fetchOne(leader, topic, { fetchOffset: 11 })).errorCode).toBe(1);
    const ok = await fetchOne(leader, topic, { fetchOffset: 5 });
    expect([ok.errorCode, ok.logStartOffset, ok.highWatermark, ok.firstBaseOffset]).toEqual([0, 5n, 10n, 5n]);

    // KafkaJS: committed offsets below the log start, with fromBeginning true and false.
    const kafka = new Kafka({ clientId: 'fetch-reset', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const kadmin = kafka.admin();
    await kadmin.connect();
    for (const groupId of ['kjs-early', 'kjs-late']) await kadmin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }] });
    await kadmin.disconnect();
    const firstRead = async (groupId: string, fromBeginning: boolean, whileWaiting?: (joined: Promise<unknown>) => Promise<void>): Promise<[string, string]> => {
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning });
        return await new Promise<[string, string]>((resolve, reject) => {
          consumer.run({ eachMessage: async ({ message }) => resolve([message.offset, message.value!.toString()]) }).catch(reject);
          void whileWaiting?.(joined).catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
    };
    expect(await firstRead('kjs-early', true)).toEqual(['5', 'r5']);
    // fromBeginning false resets to the end: the first record read is one produced after the reset.
    const producer = cluster.producer({ acks: 'all' });
    let produced = 0;
    let stop = false;
    let producing: Promise<void> | undefined;
    const late = await firstRead('kjs-late', false, (joined) => (producing = (async () => {
      // Once it joined, records until it has read one (its reset to the end comes at an
      // unknown moment after): counted, not timed, each send a round trip.
      await joined;
      for (let i = 0; i < 20_000 && !stop; i++) await producer.send(topic, [{ value: `late${produced++}` }]);
    })()));
    stop = true;
    await producing;
    expect(Number(late[0])).toBeGreaterThanOrEqual(10);
    expect(late[1]).toMatch(/^late\d+$/);

    // confluent-kafka (librdkafka 2.0.2), each auto.offset.reset.
    const py = await runPython<Record<string, unknown>>('fetch_reset.py', [cluster.bootstrapServers, topic], { timeoutMs: 240_000 });
    expect(py.reset_earliest).toEqual([5, 'r5']);
    expect(py.reset_latest).toEqual([true, 'late']);
    expect(py.reset_error).toEqual(['error', '_AUTO_OFFSET_RESET']);
    expect(py.group_committed_below_start).toEqual([5, 'r5']);
  });

  it('isolation_level read_committed reads the same records with LSO = high watermark; max_bytes 0 still returns the first batch', async () => {
    const topic = 'committed-reads';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }]);
    const producer = cluster.producer({ acks: 'all' });
    await producer.send(topic, [{ value: 'a' }]);
    await producer.send(topic, [{ value: 'b' }]);
    const { leader } = await describe1(topic);
    const uncommitted = await fetchOne(leader, topic, { fetchOffset: 0 }, { isolationLevel: 0 });
    const committed = await fetchOne(leader, topic, { fetchOffset: 0 }, { isolationLevel: 1 });
    expect([committed.errorCode, committed.highWatermark, committed.lastStableOffset, committed.recordBytes]).toEqual([0, 2n, 2n, uncommitted.recordBytes]);
    const tiny = await fetchOne(leader, topic, { fetchOffset: 0, maxBytes: 0 }, { maxBytes: 0 });
    expect(tiny.errorCode).toBe(0);
    expect(tiny.firstBaseOffset).toBe(0n);
    expect(tiny.recordBytes).toBeGreaterThan(0);
  });

  it('a leader that moved: FENCED_LEADER_EPOCH for the old epoch, before NOT_LEADER_OR_FOLLOWER; a deleted topic is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const topic = 'moving';
    const admin = cluster.admin();
    await admin.createTopics([{ name: topic, partitions: 1, replicationFactor: 3 }, { name: 'doomed', partitions: 1, replicationFactor: 1 }]);
    await cluster.producer({ acks: 'all' }).send(topic, [{ value: 'm' }]);
    const before = await describe1(topic);
    await cluster.stopNode(before.leader);
    const after = await eventually('a new leader', async () => {
      const d = await describe1(topic);
      return d.leader >= 0 && d.leader !== before.leader ? d : undefined;
    });
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    await cluster.restartNode(before.leader);
    // The restarted node knows the new epoch once it has caught up with the metadata.
    await eventually('the old leader to answer as a follower', async () => {
      const r = await fetchOne(before.leader, topic, { fetchOffset: 0, currentLeaderEpoch: after.leaderEpoch }).catch(() => undefined);
      return r?.errorCode === 6 ? r : undefined;
    });
    expect((await fetchOne(before.leader, topic, { fetchOffset: 0, currentLeaderEpoch: before.leaderEpoch })).errorCode).toBe(74);
    expect((await fetchOne(before.leader, topic, { fetchOffset: 0, currentLeaderEpoch: after.leaderEpoch + 1 })).errorCode).toBe(75);
    expect((await fetchOne(before.leader, topic, { fetchOffset: 0 })).errorCode).toBe(6);
    expect((await fetchOne(after.leader, topic, { fetchOffset: 0, currentLeaderEpoch: before.leaderEpoch })).errorCode).toBe(74);
    // A new leader hands out records only up to its high watermark, which it may learn
    // only once its followers fetch in its epoch (as Kafka's): until then the read is empty.
    const read = await eventually('the new leader to hand out the record', async () => {
      const r = await fetchOne(after.leader, topic, { fetchOffset: 0, currentLeaderEpoch: after.leaderEpoch });
      expect(r.errorCode).toBe(0);
      return r.firstBaseOffset !== undefined ? r : undefined;
    });
    expect(read.firstBaseOffset).toBe(0n);

    // OffsetForLeaderEpoch (KIP-320: a consumer asks it after a leader change; it was
    // advertised and answered UNSUPPORTED_VERSION). The old epoch ended where the new
    // leader's log ended then (offset 1, after 'm'); the new one ends at the log end.
    expect(await endOffsetFor(after.leader, topic, after.leaderEpoch, before.leaderEpoch)).toEqual([0, before.leaderEpoch, 1n]);
    expect(await endOffsetFor(after.leader, topic, -1, after.leaderEpoch)).toEqual([0, after.leaderEpoch, 1n]);
    expect((await endOffsetFor(after.leader, topic, before.leaderEpoch, before.leaderEpoch))[0]).toBe(74);
    expect((await endOffsetFor(before.leader, topic, before.leaderEpoch, before.leaderEpoch))[0]).toBe(74);
    expect((await endOffsetFor(before.leader, topic, after.leaderEpoch, before.leaderEpoch))[0]).toBe(6);
    expect((await endOffsetFor(after.leader, 'no-such-topic', -1, 0))[0]).toBe(3);

    const doomedLeader = (await describe1('doomed')).leader;
    await admin.deleteTopics(['doomed']);
    await eventually('the deletion to reach the broker', async () => ((await fetchOne(doomedLeader, 'doomed', { fetchOffset: 0 })).errorCode === 3 ? true : undefined));
  });
});
