/**
 * KafkaJS 2.2 consumer groups against a 3-node cluster with listeners, as a demanding user
 * drives them (docs/design/real-clients.md), beside what kafkajs.test.ts and
 * kafkajs-behaviours.test.ts cover:
 * - three members on three connections, one of them in a child process killed with
 *   SIGKILL: the group rebalances on each join, on the dead member's session timeout and
 *   on a leave, every partition always has one owner, and no record is lost. Rebalances are
 *   counted (GROUP_JOIN events), never timed.
 * - a handler that throws (KafkaJS retries the record and goes on), `consumer.describeGroup`,
 *   `stop()` then `run()` again from the committed offsets, `autoCommit: false` with
 *   `commitOffsets`, `partitionsConsumedConcurrently`, two groups on one topic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AssignerProtocol, Kafka, logLevel, type Admin as KafkaAdmin, type Consumer as KafkaConsumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually } from './helpers/clients.js';
import type { WireCluster } from './helpers/cluster.js';
import { kafkaJsForFile } from './helpers/kafkajs.js';

let cluster: WireCluster;
let admin: KafkaAdmin;
kafkaJsForFile('wire-kjs-groups', (c, _k, a) => {
  cluster = c;
  admin = a;
});

const childScript = fileURLToPath(new URL('./helpers/kafkajs-member-child.ts', import.meta.url));

/** A KafkaJS client of its own (its own connections), named `clientId`. */
function client(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: cluster.bootstrapServers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}

async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<void> {
  const producer = client('kjg-producer').producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: partitions * perPartition }, (_, i) => ({ partition: i % partitions, value: `${tag}${i}` })) });
  } finally {
    await producer.disconnect();
  }
}

/** The group's state and each member's client id with its partitions of `topic`, sorted. */
async function membership(groupId: string, topic: string): Promise<{ state: string; members: [string, number[]][] }> {
  const g = (await admin.describeGroups([groupId])).groups[0]!;
  const members = g.members.map((m): [string, number[]] => {
    const a = m.memberAssignment.length === 0 ? null : AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
    return [m.clientId, [...(a?.assignment[topic] ?? [])].sort((x, y) => x - y)];
  });
  return { state: g.state, members: members.sort((x, y) => (x[0] < y[0] ? -1 : 1)) };
}

/** Every partition of `0..count-1` owned by exactly one member. */
function ownedOnce(members: [string, number[]][], count: number): boolean {
  const all = members.flatMap(([, ps]) => ps).sort((x, y) => x - y);
  return all.length === count && all.every((p, i) => p === i);
}

describe('KafkaJS consumer groups over the wire, 3 nodes', { timeout: 400_000 }, () => {
  it('three members on three connections, one in a child process killed with SIGKILL: rebalances on join, session timeout and leave; every record read', async () => {
    const topic = 'kjg-three';
    const groupId = 'kjg-three-g';
    const partitions = 6;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    await produce(topic, partitions, 10, 'a');

    const read = new Map<string, Set<string>>();
    const joins = new Map<string, number>();
    const members: KafkaConsumer[] = [];
    let child: ChildProcess | undefined;
    try {
      for (const name of ['kjg-a', 'kjg-b']) {
        // A long session for the members that live, so only the killed one times out.
        const c = client(name).consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
        c.on(c.events.GROUP_JOIN, () => joins.set(name, (joins.get(name) ?? 0) + 1));
        await c.connect();
        await c.subscribe({ topics: [topic], fromBeginning: true });
        await c.run({
          eachMessage: async ({ partition, message }) => {
            read.set(name, (read.get(name) ?? new Set()).add(`${partition}:${message.offset}`));
          },
        });
        members.push(c);
      }
      const readCount = (): number => new Set([...read.values()].flatMap((s) => [...s])).size;
      await eventually('two members read the first 60 records', () => (readCount() === 60 ? true : undefined), 120_000);

      // The third member, in a process of its own, with a short session.
      child = spawn(process.execPath, ['--import', 'tsx', childScript, cluster.bootstrapServers, groupId, topic, '3000', 'kjg-child'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let childOut = '';
      child.stdout!.on('data', (d: Buffer) => (childOut += d.toString()));
      const childJoined = (): boolean => childOut.split('\n').some((l) => l.startsWith('{"joined"') && l !== '{"joined":{}}');
      const three = await eventually(
        'three members, each with two partitions',
        async () => {
          const m = await membership(groupId, topic);
          return m.state === 'Stable' && m.members.length === 3 && ownedOnce(m.members, partitions) && m.members.every(([, ps]) => ps.length === 2) && childJoined() ? m : undefined;
        },
        120_000,
      );
      expect(three.members.map(([id]) => id)).toEqual(['kjg-a', 'kjg-b', 'kjg-child']);

      // SIGKILL: no LeaveGroup. The child's session runs out and the two left share the partitions.
      const joinsBefore = new Map(joins);
      child.kill('SIGKILL');
      const two = await eventually(
        'the two members left own every partition',
        async () => {
          const m = await membership(groupId, topic);
          return m.state === 'Stable' && m.members.length === 2 && ownedOnce(m.members, partitions) ? m : undefined;
        },
        120_000,
      );
      expect(two.members.map(([id]) => id)).toEqual(['kjg-a', 'kjg-b']);
      for (const name of ['kjg-a', 'kjg-b']) expect(joins.get(name)!).toBeGreaterThan(joinsBefore.get(name)!);

      // Records produced now are all read by the two (the dead member's partitions too).
      await produce(topic, partitions, 10, 'b');
      await eventually('the next 60 records', () => (readCount() === 120 ? true : undefined), 120_000);

      // A leave (disconnect sends LeaveGroup): the last member owns everything.
      await members.pop()!.disconnect();
      const one = await eventually(
        'one member owns every partition',
        async () => {
          const m = await membership(groupId, topic);
          return m.state === 'Stable' && m.members.length === 1 && ownedOnce(m.members, partitions) ? m : undefined;
        },
        120_000,
      );
      expect(one.members[0]![0]).toBe('kjg-a');
      await produce(topic, partitions, 1, 'c');
      await eventually('the last 6 records', () => (readCount() === 126 ? true : undefined), 120_000);
      // Every record of every partition, offsets 0..20, read.
      const all = new Set([...read.values()].flatMap((s) => [...s]));
      for (let p = 0; p < partitions; p++) for (let o = 0; o <= 20; o++) expect(all.has(`${p}:${o}`)).toBe(true);
    } finally {
      child?.kill('SIGKILL');
      for (const c of members) await c.disconnect();
    }
  });

  it('a handler that throws is retried; describeGroup; stop() then run() again; autoCommit off with commitOffsets; partitionsConsumedConcurrently; two groups on one topic', async () => {
    const topic = 'kjg-api';
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true, timeout: 60_000 });
    await produce(topic, 3, 10, 'r');
    const offsetsOf = async (groupId: string): Promise<string[]> => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);

    // A handler that throws twice on one record: KafkaJS retries it, nothing is skipped or read twice after.
    const thrower = client('kjg-thrower').consumer({ groupId: 'kjg-throw', sessionTimeout: 30_000, heartbeatInterval: 300, maxWaitTimeInMs: 200, retry: { retries: 5, initialRetryTime: 100 } });
    let throws = 0;
    const seen: string[] = [];
    await thrower.connect();
    try {
      await thrower.subscribe({ topics: [topic], fromBeginning: true });
      await thrower.run({
        eachMessage: async ({ partition, message }) => {
          if (partition === 0 && message.offset === '3' && throws < 2) {
            throws++;
            throw new Error('the handler fails');
          }
          seen.push(`${partition}:${message.offset}`);
        },
      });
      await eventually('30 records past the failures', () => (new Set(seen).size === 30 ? true : undefined), 120_000);
      expect(throws).toBe(2);
      expect(seen.filter((s) => s === '0:3')).toEqual(['0:3']);
      // consumer.describeGroup: the coordinator's DescribeGroups of its own group.
      const described = await thrower.describeGroup();
      expect(described).toMatchObject({ groupId: 'kjg-throw', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(described.members.map((m) => m.clientId)).toEqual(['kjg-thrower']);

      // stop() commits and leaves the loop; run() again goes on from the committed offsets.
      await thrower.stop();
      expect(await offsetsOf('kjg-throw')).toEqual(['10', '10', '10']);
      await produce(topic, 3, 1, 's');
      const again: string[] = [];
      await thrower.run({ eachMessage: async ({ partition, message }) => void again.push(`${partition}:${message.offset}`) });
      await eventually('the 3 new records after run() again', () => (again.length >= 3 ? true : undefined), 120_000);
      expect(again.sort()).toEqual(['0:10', '1:10', '2:10']);
    } finally {
      await thrower.disconnect();
    }

    // autoCommit off: nothing committed until commitOffsets; partitions consumed concurrently.
    const manual = client('kjg-manual').consumer({ groupId: 'kjg-manual', sessionTimeout: 30_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
    const inFlight = { now: 0, most: 0 };
    let count = 0;
    await manual.connect();
    try {
      await manual.subscribe({ topics: [topic], fromBeginning: true });
      await manual.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 3,
        eachMessage: async () => {
          inFlight.most = Math.max(inFlight.most, ++inFlight.now);
          // Yield, so handlers of other partitions can start meanwhile.
          await new Promise<void>((resolve) => setImmediate(resolve));
          inFlight.now--;
          count++;
        },
      });
      await eventually('33 records', () => (count === 33 ? true : undefined), 120_000);
      expect(await offsetsOf('kjg-manual')).toEqual(['-1', '-1', '-1']);
      await manual.commitOffsets([
        { topic, partition: 0, offset: '5' },
        { topic, partition: 2, offset: '11' },
      ]);
      expect(await offsetsOf('kjg-manual')).toEqual(['5', '-1', '11']);
    } finally {
      await manual.disconnect();
    }
    expect(inFlight.most).toBeGreaterThan(1);

    // Two groups on one topic: each reads every record.
    const counts = { x: 0, y: 0 };
    const pair: KafkaConsumer[] = [];
    try {
      for (const g of ['x', 'y'] as const) {
        const c = client(`kjg-${g}`).consumer({ groupId: `kjg-two-${g}`, sessionTimeout: 30_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
        await c.connect();
        await c.subscribe({ topics: [topic], fromBeginning: true });
        await c.run({ eachMessage: async () => void counts[g]++ });
        pair.push(c);
      }
      await eventually('both groups read all 33', () => (counts.x === 33 && counts.y === 33 ? true : undefined), 120_000);
    } finally {
      for (const c of pair) await c.disconnect();
    }
    const listed = (await admin.listGroups()).groups.filter((g) => /^kjg-(manual|throw|two-)/.test(g.groupId)).map((g) => [g.groupId, g.protocolType]);
    expect(listed.sort()).toEqual([
      ['kjg-manual', 'consumer'],
      ['kjg-throw', 'consumer'],
      ['kjg-two-x', 'consumer'],
      ['kjg-two-y', 'consumer'],
    ]);
  });
});
