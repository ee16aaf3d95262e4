/**
 * Consumer groups end to end on a real cluster (real files): the coordinator shell on
 * the brokers, `__consumer_offsets`, and `ConsumerGroup` members joining, splitting,
 * leaving, dying, and resuming from committed offsets.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import type { ConsumerGroup } from '../../src/client/consumer-group.js';
import type { TopicPartition } from '../../src/client/consumer.js';
import { serdes } from '../../src/client/serde.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { isTributaryError } from '../../src/util/errors.js';
import { delay } from '../../src/util/timeout.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-groups-');

/**
 * Fast settings for tests: short heartbeats and fetch waits. The session is long enough
 * that a loaded machine (event loop late by seconds) never expires a live member; a test
 * that needs a dead member expired sets a shorter one, and never asserts how long
 * anything took (only what happened, within bounds that hold at load 10).
 */
const fast = { heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000, maxWaitMs: 20, autoCommitIntervalMs: 100 } as const;

/**
 * Every test runs on simulated time (`Cluster.start({ clock })`, driven by `driveClock`):
 * sessions, heartbeats, rebalances, long polls and the waits below run in the clock's
 * time, so a loaded machine can neither expire a live member nor run a deadline out, and
 * a session timeout passes in milliseconds.
 */
const sim = useSimulatedClock();
const { clock } = sim;

/** Polls every 10 ms of the clock; gives up after `timeoutMs` of it. */
function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  return sim.until(what, cond, timeoutMs);
}

async function produce(cluster: Cluster, topic: string, count: number, from = 0): Promise<void> {
  const t = cluster.topic(topic, { key: serdes.string, value: serdes.string });
  await t.send(Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % 13}`, value: `v${from + i}` })));
}

/** Consumes in the background into `seen`, recording the member that saw each value. */
function drain<K, V>(group: ConsumerGroup<K, V>, seen: { value: V | null; partition: number; offset: number }[]): Promise<void> {
  return (async () => {
    for await (const r of group) seen.push({ value: r.value, partition: r.partition, offset: r.offset });
  })().catch(() => undefined);
}

const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

describe('consumer groups', () => {
  it('a new group gets its first record quickly; two members split a 6-partition topic, each partition to exactly one', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'events', partitions: 6 }]);
    await produce(cluster, 'events', 60);
    const started = clock.now();
    const a = cluster.consumerGroup({ groupId: 'g1', topics: ['events'], from: 'earliest', value: serdes.string, ...fast });
    const seenA: { value: string | null; partition: number; offset: number }[] = [];
    const runA = drain(a, seenA);
    await until('the first record', () => seenA.length > 0);
    const firstRecordMs = clock.now() - started;
    console.log(`time to first record of a new group: ${firstRecordMs} simulated ms`);
    await until('all 60 records', () => seenA.length >= 60);
    expect(a.assignment().length).toBe(6);

    const b = cluster.consumerGroup({ groupId: 'g1', topics: ['events'], from: 'earliest', value: serdes.string, ...fast });
    const seenB: typeof seenA = [];
    const runB = drain(b, seenB);
    await until('a split', () => a.assignment().length === 3 && b.assignment().length === 3 && a.generationId === b.generationId);
    const owners = new Set([...a.assignment(), ...b.assignment()].map(key));
    expect(owners.size).toBe(6);
    await produce(cluster, 'events', 60, 60);
    await until('the next 60 records', () => seenA.length + seenB.length >= 120);
    // Every record after the split went to the member that owns its partition.
    const after = (s: typeof seenA) => s.filter((r) => Number(r.value!.slice(1)) >= 60);
    for (const r of after(seenA)) expect(a.assignment().map((tp) => tp.partition)).toContain(r.partition);
    for (const r of after(seenB)) expect(b.assignment().map((tp) => tp.partition)).toContain(r.partition);
    const values = [...seenA, ...seenB].map((r) => r.value);
    expect(new Set(values).size).toBe(120);
    await a.close();
    await b.close();
    await Promise.all([runA, runB]);
  });

  it('a member that closes hands its partitions over; the other resumes from the committed offsets, losing nothing', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'jobs', partitions: 4 }]);
    const a = cluster.consumerGroup({ groupId: 'g2', topics: ['jobs'], from: 'earliest', value: serdes.string, ...fast });
    // b's session outlasts the test: a gets b's partitions only because b's close leaves.
    const b = cluster.consumerGroup({ groupId: 'g2', topics: ['jobs'], from: 'earliest', value: serdes.string, ...fast, sessionTimeoutMs: 300_000 });
    const seenA: { value: string | null; partition: number; offset: number }[] = [];
    const seenB: typeof seenA = [];
    const runA = drain(a, seenA);
    const runB = drain(b, seenB);
    await until('a split', () => a.assignment().length === 2 && b.assignment().length === 2 && a.generationId === b.generationId);
    await produce(cluster, 'jobs', 200);
    await until('some records at b', () => seenB.length >= 20);
    const generation = a.generationId;
    const leftAt = clock.now();
    await b.close();
    await until('a owns every partition', () => a.assignment().length === 4 && a.generationId > generation);
    const rebalanceMs = clock.now() - leftAt;
    console.log(`rebalance after a leave: ${rebalanceMs} simulated ms`);
    await produce(cluster, 'jobs', 100, 200);
    await until('all 300 records', () => new Set([...seenA, ...seenB].map((r) => r.value)).size >= 300);
    const all = [...seenA, ...seenB].map((r) => r.value);
    const duplicates = all.length - new Set(all).size;
    console.log(`duplicates around the handover: ${duplicates}`);
    expect(new Set(all).size).toBe(300);
    // b committed what it processed when it closed: a resumed there, so nothing b
    // processed is read twice.
    expect(duplicates).toBe(0);
    await a.close();
    await Promise.all([runA, runB]);
  });

  // On simulated time (`Cluster.start({ clock })`, driven by `driveClock`): the session
  // runs out in the clock's time, so a loaded machine can neither expire the live member
  // early nor make the measured time wrong, and the 3 s pass in milliseconds.
  it('a member that dies (no leave, no heartbeats) is removed after its session timeout', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'beats', partitions: 2 }]);
    const a = cluster.consumerGroup({ groupId: 'g3', topics: ['beats'], from: 'earliest', ...fast });
    const b = cluster.consumerGroup({ groupId: 'g3', topics: ['beats'], from: 'earliest', ...fast, sessionTimeoutMs: 3000 });
    const runA = drain(a, []);
    const runB = drain(b, []);
    await until('a split', () => a.assignment().length === 1 && b.assignment().length === 1 && a.generationId === b.generationId);
    const died = clock.now();
    await b.kill();
    await until('a owns both partitions', () => a.assignment().length === 2);
    const removedMs = clock.now() - died;
    console.log(`a dead member's partitions moved after ${removedMs} simulated ms (session timeout 3000)`);
    // Not before its session ran out.
    expect(removedMs).toBeGreaterThanOrEqual(2000);
    // Simulated time is exact: the session (3000) and the rebalance after it, nothing more.
    expect(removedMs).toBeLessThan(5000);
    await a.close();
    await Promise.all([runA, runB]);
  });

  it('after a restart of the whole cluster on the same dataDir, the group resumes from its committed offsets', async () => {
    const dataDir = tempDir();
    {
      await using cluster = await Cluster.start({ nodes: 3, dataDir, clock });
      await cluster.admin().createTopics([{ name: 'ledger', partitions: 3, replicationFactor: 3 }]);
      await produce(cluster, 'ledger', 90);
      const g = cluster.consumerGroup({ groupId: 'g4', topics: ['ledger'], from: 'earliest', value: serdes.string, ...fast });
      let n = 0;
      for await (const r of g) {
        void r;
        if (++n === 50) break;
      }
      await g.close();
    }
    {
      await using cluster = await Cluster.start({ nodes: 3, dataDir, clock });
      const g = cluster.consumerGroup({ groupId: 'g4', topics: ['ledger'], from: 'earliest', value: serdes.string, ...fast });
      const seen: { value: string | null; partition: number; offset: number }[] = [];
      const run = drain(g, seen);
      // 49 processed and committed before the restart (the 50th was being processed when
      // the loop broke, so it is read again): 41 remain.
      await until('the rest', () => seen.length >= 41);
      await sim.sleep(200);
      expect(seen.length).toBe(41);
      const values = new Set(seen.map((r) => r.value));
      expect(values.size).toBe(41);
      await g.close();
      await run;
    }
  }, 180_000);

  it('cooperative-sticky: when a member joins, only the partitions that move are revoked', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'coop', partitions: 6 }]);
    const revokedA: string[] = [];
    const lostA: string[] = [];
    const a = cluster.consumerGroup({ groupId: 'g5', topics: ['coop'], from: 'earliest', assignor: 'cooperative-sticky', ...fast });
    a.on('revoked', (tps) => void revokedA.push(...tps.map(key)));
    a.on('lost', (tps) => void lostA.push(...tps.map(key)));
    const runA = drain(a, []);
    await until('a owns all', () => a.assignment().length === 6);
    const before = new Set(a.assignment().map(key));
    const b = cluster.consumerGroup({ groupId: 'g5', topics: ['coop'], from: 'earliest', assignor: 'cooperative-sticky', ...fast });
    const runB = drain(b, []);
    await until('a 3/3 split', () => a.assignment().length === 3 && b.assignment().length === 3 && a.generationId === b.generationId, 10_000);
    // a gave up exactly what b got, and kept the rest throughout.
    expect(revokedA.sort()).toEqual(b.assignment().map(key).sort());
    expect(lostA).toEqual([]);
    for (const k of a.assignment().map(key)) expect(before.has(k)).toBe(true);
    await a.close();
    await b.close();
    await Promise.all([runA, runB]);
  });

  it('3 nodes, 12 partitions, 4 members killed and added while a producer writes keyed records: every record is read, in order per key', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    await cluster.admin().createTopics([{ name: 'stream', partitions: 12, replicationFactor: 3 }]);
    const keys = 24;
    const producer = cluster.topic('stream', { key: serdes.string, value: serdes.string });
    /** Every delivery, in the order the members saw them, with who saw it. */
    const deliveries: { member: number; key: string; seq: number }[] = [];
    const members: { id: number; group: ConsumerGroup<string, string>; run: Promise<void> }[] = [];
    let nextMember = 0;
    const add = (sessionTimeoutMs: number = fast.sessionTimeoutMs): void => {
      const id = nextMember++;
      const group = cluster.consumerGroup({ groupId: 'chaos', topics: ['stream'], from: 'earliest', key: serdes.string, value: serdes.string, ...fast, sessionTimeoutMs });
      const run = (async () => {
        for await (const r of group) deliveries.push({ member: id, key: r.key!, seq: Number(r.value!.split(':')[1]) });
      })().catch(() => undefined);
      members.push({ id, group, run });
    };
    add(3000); // the member that will be killed: its partitions move once its session runs out
    for (let i = 1; i < 4; i++) add();
    let sent = 0;
    let stop = false;
    const sending = (async () => {
      while (!stop) {
        const batch = Array.from({ length: 24 }, (_, i) => ({ key: `key-${(sent + i) % keys}`, value: `key-${(sent + i) % keys}:${sent + i}` }));
        await producer.send(batch);
        sent += batch.length;
        // Paced in the clock's time: about as many records as the real clock's 5 ms and
        // send latency gave (on simulated time a send takes no time).
        await sim.sleep(15);
      }
    })();
    const pause = (ms: number) => sim.sleep(ms);
    await pause(500);
    await members[0]!.group.kill(); // dies: its partitions move after the session timeout
    await pause(300);
    add();
    await pause(300);
    await members[1]!.group.close(); // leaves: its partitions move at once
    await pause(300);
    add();
    await pause(600);
    stop = true;
    await sending;
    const live = members.filter((m) => m.id !== 0 && m.id !== 1);
    await until('every record read', () => new Set(deliveries.map((d) => d.seq)).size >= sent);
    const seqs = new Set(deliveries.map((d) => d.seq));
    for (let i = 0; i < sent; i++) expect(seqs.has(i), `record ${i} read`).toBe(true);
    // Per key, records arrive in the order they were written: each member sees a key's
    // records in increasing order, and the first delivery of each record follows the
    // first delivery of the record before it.
    const firstSeen: number[][] = Array.from({ length: keys }, () => []);
    const firstIndex = new Set<number>();
    for (const d of deliveries) {
      if (firstIndex.has(d.seq)) continue;
      firstIndex.add(d.seq);
      firstSeen[Number(d.key.slice(4))]!.push(d.seq);
    }
    for (const list of firstSeen) expect(list).toEqual([...list].sort((a, b) => a - b));
    const byMemberKey = new Map<string, number>();
    let regressions = 0;
    for (const d of deliveries) {
      const k = `${d.member}/${d.key}`;
      if ((byMemberKey.get(k) ?? -1) >= d.seq) regressions++;
      byMemberKey.set(k, d.seq);
    }
    expect(regressions).toBe(0);
    const duplicates = deliveries.length - seqs.size;
    console.log(`chaos: ${sent} records, ${deliveries.length} deliveries, ${duplicates} duplicates (member killed once, left once, added twice)`);
    // The live members split the 12 partitions between them.
    await until('a stable split among the live members', () => live.reduce((n, m) => n + m.group.assignment().length, 0) === 12 && new Set(live.map((m) => m.group.generationId)).size === 1);
    for (const m of live) await m.group.close();
    await Promise.all(members.map((m) => m.run));
  }, 180_000);

  it('run({ eachBatch }), a pattern subscription, manual commits, lag, pause, resume and seek', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'api-1', partitions: 2 }]);
    const t = cluster.topic('api-1', { key: serdes.string, value: serdes.string });
    await t.send(Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
    const assigned: string[] = [];
    const g = cluster.consumerGroup({ groupId: 'g6', topics: /^api-\d$/, from: 'earliest', autoCommit: false, value: serdes.string, ...fast });
    g.on('assigned', (tps) => void assigned.push(...tps.map(key)));
    await g.whenJoined();
    expect(assigned.sort()).toEqual(['api-1-0', 'api-1-1']);
    expect((await g.lag()).map((l) => l.lag)).toEqual([10, 10]);
    const batches: { partition: number; offsets: number[] }[] = [];
    const running = g.run({ eachBatch: (b) => void batches.push({ partition: b.partition, offsets: b.records.map((r) => r.offset) }) });
    await until('20 records', () => batches.reduce((n, b) => n + b.offsets.length, 0) >= 20);
    expect((await g.lag()).map((l) => [l.highWatermark, l.lag])).toEqual([
      [10, 0],
      [10, 0],
    ]);
    // autoCommit is off: only the manual commit is stored.
    await g.commit([{ topic: 'api-1', partition: 0, offset: 4 }]);
    await g.close();
    await running;

    const h = cluster.consumerGroup({ groupId: 'g6', topics: ['api-1'], from: 'latest', autoCommit: false, value: serdes.string, ...fast });
    await h.whenJoined();
    // Partition 0 resumes at the commit; partition 1 has none and starts where `from` says.
    expect((await h.lag()).map((l) => [l.partition, l.position])).toEqual([
      [0, 4],
      [1, 10],
    ]);
    h.pause([{ topic: 'api-1', partition: 0 }]);
    await t.send({ value: 'late', partition: 1 });
    const seen: { partition: number; offset: number }[] = [];
    const it = h[Symbol.asyncIterator]();
    const first = await it.next();
    seen.push({ partition: first.value!.partition, offset: first.value!.offset });
    expect(seen).toEqual([{ partition: 1, offset: 10 }]);
    h.resume([{ topic: 'api-1', partition: 0 }]);
    const next = await it.next();
    expect([next.value!.partition, next.value!.offset]).toEqual([0, 4]);
    await h.seek({ topic: 'api-1', partition: 0 }, 1);
    const again = await it.next();
    expect([again.value!.partition, again.value!.offset]).toEqual([0, 1]);
    // The loop body of offset 1 returned once next() is called: commit() commits up to it.
    const pending = it.next();
    await h.commit();
    await it.return!();
    await h.close();
    void pending;
    const fetched = await cluster.transport.send(1, { apiKey: ApiKey.OffsetFetch, groupId: 'g6', topics: [{ name: 'api-1', partitionIndexes: [0, 1] }] });
    expect(fetched.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset])).toEqual([
      [0, 2],
      [1, 11],
    ]);
  });

  it('a loop that breaks inside a fetched batch loses nothing: the next loop starts at the record it broke on, and only processed records are committed', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'chunks', partitions: 1 }]);
    await produce(cluster, 'chunks', 30);
    const g = cluster.consumerGroup({ groupId: 'g8', topics: ['chunks'], from: 'earliest', value: serdes.string, ...fast });
    const offsets: number[] = [];
    for (let round = 0; round < 3; round++) {
      for await (const r of g) {
        offsets.push(r.offset);
        if (r.offset === 9 + round * 10) break;
      }
    }
    // Each break leaves its record unprocessed, so the next loop hands it out again.
    expect(offsets).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 11 }, (_, i) => 9 + i), ...Array.from({ length: 11 }, (_, i) => 19 + i)]);
    await g.close();
    const fetched = await cluster.transport.send(1, { apiKey: ApiKey.OffsetFetch, groupId: 'g8', topics: [{ name: 'chunks', partitionIndexes: [0] }] });
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(29);
  });

  it('a pattern picks up a topic created later, and the leader rebalances when a topic grows', async () => {
    await using cluster = await Cluster.start({ clock });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'metrics-a', partitions: 1 }]);
    const g = cluster.consumerGroup({ groupId: 'g9', topics: /^metrics-/, from: 'earliest', ...fast, metadataMaxAgeMs: 100 });
    const run = drain(g, []);
    await until('metrics-a', () => g.assignment().length === 1);
    await admin.createTopics([{ name: 'metrics-b', partitions: 2 }]);
    await until('metrics-b too', () => g.assignment().length === 3);
    // Through the request (Admin.createPartitions waits for leaders in a way that times out
    // here; see the report): the controller adds the partitions either way.
    const grown = await cluster.transport.send(1, { apiKey: ApiKey.CreatePartitions, timeoutMs: 5000, topics: [{ name: 'metrics-a', count: 3, assignments: null }] });
    expect(grown.results[0]!.errorCode).toBe('NONE');
    await until('the new partitions of metrics-a', () => g.assignment().length === 5);
    expect(g.assignment().map(key)).toEqual(['metrics-a-0', 'metrics-a-1', 'metrics-a-2', 'metrics-b-0', 'metrics-b-1']);
    await g.close();
    await run;
  });

  it('heartbeats go on while a loop body is slower than the session timeout: the member keeps its partitions', async () => {
    // On simulated time: the loop body's 5 s is the clock's, and a heartbeat cannot be
    // late because the machine is loaded.
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'slow', partitions: 2 }]);
    await produce(cluster, 'slow', 4);
    const lost: string[] = [];
    const g = cluster.consumerGroup({ groupId: 'g10', topics: ['slow'], from: 'earliest', ...fast, sessionTimeoutMs: 3000 });
    g.on('lost', (tps) => void lost.push(...tps.map(key)));
    let n = 0;
    for await (const r of g) {
      void r;
      if (n === 0) await delay(5000, clock); // session timeout 3000
      if (++n === 4) break;
    }
    expect(lost).toEqual([]);
    expect(g.rebalances).toBe(1);
    expect(g.assignment().length).toBe(2);
    await g.close();
  });

  it('a static member (groupInstanceId) that closes keeps its place: its return within the session timeout gets its partitions back without a rebalance', async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.admin().createTopics([{ name: 'static', partitions: 4 }]);
    // A session far longer than the test: b's return is always within it, however loaded the machine.
    const opts = { groupId: 'g7', topics: ['static'], from: 'earliest', ...fast, sessionTimeoutMs: 300_000 } as const;
    const a = cluster.consumerGroup({ ...opts, groupInstanceId: 'a' });
    const b = cluster.consumerGroup({ ...opts, groupInstanceId: 'b' });
    const runs = [drain(a, []), drain(b, [])];
    await until('a split', () => a.assignment().length === 2 && b.assignment().length === 2 && a.generationId === b.generationId);
    const generation = a.generationId;
    const bOwned = b.assignment().map(key);
    await b.close();
    await sim.sleep(500);
    expect(a.generationId).toBe(generation);
    expect(a.assignment().length).toBe(2);
    const b2 = cluster.consumerGroup({ ...opts, groupInstanceId: 'b' });
    runs.push(drain(b2, []));
    await until('b is back', () => b2.assignment().length === 2);
    expect(b2.assignment().map(key)).toEqual(bOwned);
    expect(a.generationId).toBe(generation);
    await a.close();
    await b2.close();
    await Promise.all(runs);
  });

  it('members follow the coordinator when its broker is killed: they keep their partitions, commit to the new one, and lose nothing', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    await cluster.admin().createTopics([{ name: 'moving', partitions: 4, replicationFactor: 3 }]);
    // A group whose coordinator is not the active controller, so the quorum keeps its leader.
    const active = cluster.describe().find((n) => n.activeController)!.id;
    let groupId = '';
    for (let i = 0; i < 100 && groupId === ''; i++) {
      const c = (await cluster.transport.send(1, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [`mv-${i}`] })).coordinators[0]!;
      if (c.errorCode === 'NONE' && c.nodeId !== active) groupId = `mv-${i}`;
    }
    const coordinator = (await cluster.transport.send(1, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [groupId] })).coordinators[0]!.nodeId;
    const seen: { value: string | null; partition: number; offset: number }[] = [];
    const a = cluster.consumerGroup({ groupId, topics: ['moving'], from: 'earliest', value: serdes.string, ...fast });
    const b = cluster.consumerGroup({ groupId, topics: ['moving'], from: 'earliest', value: serdes.string, ...fast });
    const runs = [drain(a, seen), drain(b, seen)];
    await until('a split', () => a.assignment().length === 2 && b.assignment().length === 2 && a.generationId === b.generationId);
    const generation = a.generationId;
    await produce(cluster, 'moving', 100);
    await until('100 records', () => seen.length >= 100);
    cluster.killNode(coordinator);
    await produce(cluster, 'moving', 100, 100);
    await until('200 records', () => new Set(seen.map((r) => r.value)).size >= 200);
    // The new coordinator loaded the generation from the log: the members heartbeat into
    // it and keep their partitions; their commits land there.
    await sim.sleep(300);
    expect(a.generationId).toBe(generation);
    expect(a.assignment().length + b.assignment().length).toBe(4);
    await a.commit();
    await b.commit();
    const moved = (await cluster.transport.send(cluster.nodeIdList.find((id) => id !== coordinator)!, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [groupId] })).coordinators[0]!.nodeId;
    expect(moved).not.toBe(coordinator);
    const fetched = await cluster.transport.send(moved, { apiKey: ApiKey.OffsetFetch, groupId, topics: [{ name: 'moving', partitionIndexes: [0, 1, 2, 3] }] });
    const committedTotal = fetched.topics[0]!.partitions.reduce((n, p) => n + p.committedOffset, 0);
    expect(committedTotal).toBe(200);
    await a.close();
    await b.close();
    await Promise.all(runs);
  }, 180_000);

  it('rejects bad options, naming the option', async () => {
    await using cluster = await Cluster.start({ clock });
    const bad: [Record<string, unknown>, string][] = [
      [{ topics: ['t'] }, 'groupId'],
      [{ groupId: '', topics: ['t'] }, 'groupId'],
      [{ groupId: 'g', topics: [] }, 'topics'],
      [{ groupId: 'g', topics: ['bad name'] }, 'topics'],
      [{ groupId: 'g', topics: /x/g }, 'topics'],
      [{ groupId: 'g', topics: ['t'], from: 'middle' }, 'from'],
      [{ groupId: 'g', topics: ['t'], assignor: 'sticky' }, 'assignor'],
      [{ groupId: 'g', topics: ['t'], sessionTimeoutMs: 0 }, 'sessionTimeoutMs'],
      [{ groupId: 'g', topics: ['t'], sessionTimeoutMs: 1000, heartbeatIntervalMs: 1000 }, 'heartbeatIntervalMs'],
      [{ groupId: 'g', topics: ['t'], rebalanceTimeoutMs: 1.5 }, 'rebalanceTimeoutMs'],
      [{ groupId: 'g', topics: ['t'], autoCommit: 'yes' }, 'autoCommit'],
      [{ groupId: 'g', topics: ['t'], autoCommitIntervalMs: -1 }, 'autoCommitIntervalMs'],
      [{ groupId: 'g', topics: ['t'], groupInstanceId: '' }, 'groupInstanceId'],
      [{ groupId: 'g', topics: ['t'], value: 42 }, 'value'],
      [{ groupId: 'g', topics: ['t'], colour: 'red' }, 'colour'],
    ];
    for (const [options, option] of bad) {
      let caught: unknown;
      try {
        cluster.consumerGroup(options as never);
      } catch (err) {
        caught = err;
      }
      expect(isTributaryError(caught, 'INVALID_CONFIG'), `${JSON.stringify(options)} should be refused`).toBe(true);
      expect((caught as { option: string }).option).toBe(option);
    }
  });
});
