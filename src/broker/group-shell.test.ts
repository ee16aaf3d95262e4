/**
 * The coordinator shell on real brokers: `__consumer_offsets` created on first use,
 * FindCoordinator, requests at the wrong broker, failover to a new leader that loads the
 * committed log, and a write that cannot commit answered NOT_COORDINATOR.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { ApiKey } from '../protocol/api-keys.js';
import type * as P from '../protocol/index.js';
import { encodeGroupRecordKey, partitionForGroup } from './core/group-records.js';
import { groupShellOf, offsetsTopic } from './group-shell.js';
import { useSimulatedClock } from '../../test/helpers/sim-clock.js';

// On simulated time: broker sessions, fencing, elections and ISR changes run in the
// clock's time, which a loaded machine cannot use up.
const sim = useSimulatedClock();
const { clock } = sim;

async function findCoordinator(cluster: Cluster, groupId: string, via = cluster.transport.bootstrapNodes()[0]!): Promise<P.Coordinator> {
  const res = await cluster.transport.send(via, { apiKey: ApiKey.FindCoordinator, keyType: 0, coordinatorKeys: [groupId] });
  return res.coordinators[0]!;
}

/** What each node knows of a `__consumer_offsets` partition, for failure messages. */
function describePartition(cluster: Cluster, partition: number): string {
  return JSON.stringify(
    cluster.nodeIdList.map((id) => {
      const b = cluster.node(id)?.broker;
      const reg = b?.metadataImage?.topic(offsetsTopic)?.partitions[partition];
      const r = b?.replica(offsetsTopic, partition);
      return { id, leader: reg?.leader, leaderEpoch: reg?.leaderEpoch, isr: reg?.isr, role: r?.role, replicaEpoch: r?.leaderEpoch, hw: r?.highWatermark, leo: r?.logEndOffset, coordinators: b ? [...groupShellOf(b)!.coordinators()] : [] };
    }),
  );
}

/**
 * Retries a request while the coordinator is loading or moving (what a client does), every
 * 25 ms of the clock, for up to `timeoutMs` of it; the tests assert what happens, never
 * how fast.
 */
async function retry<T>(what: string | (() => string), fn: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = clock.monotonic() + timeoutMs;
  for (;;) {
    let last: T | unknown;
    try {
      last = await fn();
      if (ok(last as T)) return last as T;
    } catch (err) {
      last = err;
    }
    if (clock.monotonic() > deadline) throw new Error(`${typeof what === 'string' ? what : what()}: gave up, last ${JSON.stringify(last)}`);
    await sim.sleep(25);
  }
}

function commitRequest(groupId: string, topic: string, offset: number): P.OffsetCommitRequest {
  return { apiKey: ApiKey.OffsetCommit, groupId, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] };
}

function fetchRequest(groupId: string, topic: string): P.OffsetFetchRequest {
  return { apiKey: ApiKey.OffsetFetch, groupId, topics: [{ name: topic, partitionIndexes: [0] }] };
}

const committedOffset = (r: P.OffsetFetchResponse): number => r.topics[0]?.partitions[0]?.committedOffset ?? -2;

describe('GroupShell', () => {
  it('creates __consumer_offsets on the first FindCoordinator (10 partitions, compacted, RF 3, min.insync.replicas 2) and names the leader of the group partition', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    expect(cluster.metadata.topic(offsetsTopic)).toBeUndefined();
    const c = await findCoordinator(cluster, 'orders-app');
    expect(c.errorCode).toBe('NONE');
    const topic = cluster.metadata.topic(offsetsTopic)!;
    expect(topic.partitions.length).toBe(10);
    expect(topic.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    expect(c.nodeId).toBe(topic.partitions[partitionForGroup('orders-app', 10)]!.leader);
    const configs = await cluster.admin().describeConfigs(offsetsTopic);
    expect(configs['cleanup.policy']!.value).toBe('compact');
    expect(configs['min.insync.replicas']!.value).toBe('2');
    // Every broker gives the same answer, and a second call creates nothing new.
    for (const via of cluster.nodeIdList) expect((await findCoordinator(cluster, 'orders-app', via)).nodeId).toBe(c.nodeId);
    expect(cluster.metadata.topic(offsetsTopic)!.id).toBe(topic.id);
    expect((await findCoordinator(cluster, '', 1)).errorCode).toBe('INVALID_GROUP_ID');
  });

  it('answers NOT_COORDINATOR at a broker that does not lead the group partition, and serves commits and fetches at the one that does', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    await cluster.admin().createTopics([{ name: 'items', partitions: 1 }]);
    const c = await findCoordinator(cluster, 'g');
    const other = cluster.nodeIdList.find((id) => id !== c.nodeId)!;
    // Before its metadata has the topic a broker says COORDINATOR_NOT_AVAILABLE; after, NOT_COORDINATOR.
    await retry('the topic at the other broker', async () => cluster.node(other)!.broker.metadataImage?.topic(offsetsTopic) !== undefined, (known) => known);
    const wrong = await cluster.transport.send(other, commitRequest('g', 'items', 5));
    expect(wrong.topics[0]!.partitions[0]!.errorCode).toBe('NOT_COORDINATOR');
    const ok = await retry('commit', () => cluster.transport.send(c.nodeId, commitRequest('g', 'items', 5)), (r) => r.topics[0]!.partitions[0]!.errorCode === 'NONE');
    expect(ok.topics[0]!.partitions[0]!.errorCode).toBe('NONE');
    expect(committedOffset(await cluster.transport.send(c.nodeId, fetchRequest('g', 'items')))).toBe(5);
    // The commit is a record in the partition's log, replicated.
    const p = partitionForGroup('g', 10);
    const replica = cluster.node(c.nodeId)!.broker.replica(offsetsTopic, p)!;
    expect(replica.highWatermark).toBeGreaterThan(0);
    const read = replica.log.read(0, { maxOffset: replica.highWatermark });
    expect(Buffer.from(read.records).includes(Buffer.from(encodeGroupRecordKey({ type: 'OffsetCommit', key: { group: 'g', topic: 'items', partition: 0 }, value: null })))).toBe(true);
    // Unknown partitions are refused by the core, through the shell's metadata lookup.
    const unknown = await cluster.transport.send(c.nodeId, { ...commitRequest('g', 'nope', 1) });
    expect(unknown.topics[0]!.partitions[0]!.errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    // ListGroups and DescribeGroups reach the coordinators this broker runs.
    const listed = await cluster.transport.send(c.nodeId, { apiKey: ApiKey.ListGroups, statesFilter: [] });
    expect(listed.groups.map((g) => g.groupId)).toContain('g');
    const described = await cluster.transport.send(c.nodeId, { apiKey: ApiKey.DescribeGroups, groups: ['g'] });
    expect(described.groups[0]!.groupState).toBe('Empty');
  });

  it('moves to the next leader when the coordinator is killed: it loads the committed offsets and serves', async () => {
    // The default broker session (2 s, heartbeats every 250 ms): shorter ones fence live
    // brokers whenever the event loop runs late, and the test then fails for that.
    await using cluster = await Cluster.start({ nodes: 3, clock });
    await cluster.admin().createTopics([{ name: 'items', partitions: 1 }]);
    // A group whose coordinator is not the active controller, so killing it keeps the quorum's leader.
    const active = cluster.describe().find((n) => n.activeController)!.id;
    let groupId = '';
    let first: P.Coordinator | undefined;
    for (let i = 0; i < 100; i++) {
      first = await findCoordinator(cluster, `grp-${i}`);
      if (first.nodeId !== active) {
        groupId = `grp-${i}`;
        break;
      }
    }
    expect(groupId).not.toBe('');
    // Every request goes to the coordinator of the moment, found again when it answers
    // NOT_COORDINATOR (as a client does): on a loaded machine leadership may move before
    // the kill too.
    const atCoordinator = async <R extends P.OffsetCommitRequest | P.OffsetFetchRequest>(request: R) => {
      const c = await findCoordinator(cluster, groupId);
      return cluster.transport.send(c.nodeId, request);
    };
    for (let offset = 1; offset <= 20; offset++) {
      await retry(
        () => `commit ${offset}: ${describePartition(cluster, partitionForGroup(groupId, 10))}`,
        () => atCoordinator(commitRequest(groupId, 'items', offset)),
        (r) => r.topics[0]!.partitions[0]!.errorCode === 'NONE',
      );
    }
    const killed = (await retry('the coordinator', () => findCoordinator(cluster, groupId), (c) => c.errorCode === 'NONE')).nodeId;
    cluster.killNode(killed);
    // The fetch goes to the coordinator of the moment too: on a loaded machine the first
    // node named after the kill may lose the partition again (a late heartbeat fences it), and
    // asking it alone then gave NOT_COORDINATOR until the retry gave up.
    const fetched = await retry(
      () => `a fetch at the new coordinator: ${describePartition(cluster, partitionForGroup(groupId, 10))}`,
      async () => {
        const c = await findCoordinator(cluster, groupId);
        if (c.errorCode !== 'NONE' || c.nodeId === killed) return undefined;
        return { nodeId: c.nodeId, response: await cluster.transport.send(c.nodeId, fetchRequest(groupId, 'items')) };
      },
      (r) => r !== undefined && r.response.errorCode === 'NONE',
    );
    expect(fetched!.nodeId).not.toBe(killed);
    expect(committedOffset(fetched!.response)).toBe(20);
    // The node that just served the fetch runs the loaded coordinator (read in the same turn: no timer ran since).
    const shell = groupShellOf(cluster.node(fetched!.nodeId)!.broker)!;
    expect(shell.coordinators().get(partitionForGroup(groupId, 10))).toBe('active');
    await retry('a commit at the new coordinator', () => atCoordinator(commitRequest(groupId, 'items', 21)), (r) => r.topics[0]!.partitions[0]!.errorCode === 'NONE');
    expect(committedOffset(await retry('a fetch', () => atCoordinator(fetchRequest(groupId, 'items')), (r) => r.errorCode === 'NONE'))).toBe(21);
  }, 240_000);

  it('answers NOT_COORDINATOR when a write cannot commit (the ISR fell below min.insync.replicas), and serves again once it can', async () => {
    // The default broker session (2 s): with 400 ms sessions a late heartbeat timer fenced
    // node 1 itself at load 10, and the test failed for that, not for what it checks.
    await using cluster = await Cluster.start({ nodes: 3, controllers: 1, clock });
    await cluster.admin().createTopics([{ name: 'items', partitions: 1 }]);
    // A group coordinated by node 1, the only controller, which stays up.
    let groupId = '';
    for (let i = 0; i < 200 && groupId === ''; i++) if ((await findCoordinator(cluster, `g-${i}`)).nodeId === 1) groupId = `g-${i}`;
    expect(groupId).not.toBe('');
    await retry('commit', () => cluster.transport.send(1, commitRequest(groupId, 'items', 1)), (r) => r.topics[0]!.partitions[0]!.errorCode === 'NONE');
    cluster.killNode(2);
    cluster.killNode(3);
    const p = partitionForGroup(groupId, 10);
    await retry('the ISR to shrink', async () => cluster.node(1)!.broker.replica(offsetsTopic, p)!.isr.length, (n) => n === 1);
    const refused = await cluster.transport.send(1, commitRequest(groupId, 'items', 2));
    expect(['NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS']).toContain(refused.topics[0]!.partitions[0]!.errorCode);
    // Nothing was committed: the offset is still 1 once a coordinator serves again.
    await cluster.restartNode(2);
    await retry('a commit once two replicas are in sync', () => cluster.transport.send(1, commitRequest(groupId, 'items', 3)), (r) => r.topics[0]!.partitions[0]!.errorCode === 'NONE');
    expect(committedOffset(await cluster.transport.send(1, fetchRequest(groupId, 'items')))).toBe(3);
  }, 240_000);
});
