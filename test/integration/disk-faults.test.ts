/**
 * One bad disk must not take the process down (issue 8, item 5). Faults are injected by a
 * store around each partition folder (test/helpers/fault-store.ts): root ignores chmod, so
 * a denied folder (EACCES), an immutable file (EPERM) and a full disk (ENOSPC) are the
 * errors the system calls would return. A damaged segment is a real flipped byte.
 *
 * In every case the process serves on: the faulty replica goes offline, its leadership
 * moves to a healthy replica, every other partition is untouched, no acknowledged record
 * is lost, and the replica comes back when its node restarts without the fault.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster.js';
import { DiskFaults } from '../helpers/fault-store.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';
import { useTempDirs } from '../helpers/temp-dirs.js';

const tempDir = useTempDirs('tributary-diskfault-');

// On simulated time: fencing, leader moves and ISR changes run in the clock's time.
const sim = useSimulatedClock();
const clock = sim.clock;

function eventually(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  return sim.until(what, ok, timeoutMs);
}

async function partitionOf(cluster: Cluster, topic: string, partition: number) {
  const [t] = await cluster.admin().describeTopics([topic]);
  return t!.partitions.find((p) => p.partition === partition)!;
}

/** The first `count` values of a partition, read from the start. */
async function values(cluster: Cluster, topic: string, partition: number, count: number): Promise<string[]> {
  const out: string[] = [];
  const consumer = cluster.consumer({ maxWaitMs: 50 });
  try {
    consumer.assign([{ topic, partition }]);
    await consumer.seek({ topic, partition }, 'earliest');
    for await (const r of consumer) {
      out.push(Buffer.from(r.value ?? new Uint8Array()).toString());
      if (out.length >= count) break;
    }
  } finally {
    await consumer.close();
  }
  return out;
}

const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('disk faults', () => {
  it('EACCES appearing under a leader while producing: the replica goes offline, leadership moves, nothing acknowledged is lost', async () => {
    const disks = new DiskFaults();
    await using cluster = await Cluster.start({ nodes: 3, openStore: disks.openStore, brokerSessionTimeoutMs: 1000, clock });
    await cluster.admin().createTopics([{ name: 'orders', partitions: 2, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    const producer = cluster.producer({ acks: 'all', lingerMs: 0 });
    for (const v of range('a', 10)) await producer.send('orders', [{ value: v, partition: 0 }, { value: v, partition: 1 }]);
    const sick = (await partitionOf(cluster, 'orders', 0)).leader;
    // The folder turns unreadable and unwritable on that node.
    disks.add({ folder: 'orders-0', node: sick, ops: ['append', 'open', 'read', 'writeAtomic', 'sync'], errno: 'EACCES' });
    for (const v of range('b', 10)) await producer.send('orders', [{ value: v, partition: 0 }, { value: v, partition: 1 }]);

    const p0 = await partitionOf(cluster, 'orders', 0);
    expect(p0.leader).not.toBe(sick);
    expect(p0.leader).toBeGreaterThan(0);
    expect(p0.isr).not.toContain(sick);
    expect(cluster.node(sick)!.broker.logs.describeOffline()).toEqual([expect.objectContaining({ topic: 'orders', partition: 0, reason: expect.stringContaining('EACCES') })]);
    expect(cluster.describe().every((n) => n.running && !n.fenced)).toBe(true);
    const expected = [...range('a', 10), ...range('b', 10)];
    expect(await values(cluster, 'orders', 0, 20)).toEqual(expected);
    expect(await values(cluster, 'orders', 1, 20)).toEqual(expected);

    // The fault goes away; after a restart the replica opens, catches up and rejoins the ISR.
    disks.clear();
    await cluster.stopNode(sick);
    await cluster.restartNode(sick);
    await eventually(async () => (await partitionOf(cluster, 'orders', 0)).isr.includes(sick), 'the healed replica to rejoin the ISR');
    expect(cluster.node(sick)!.broker.logs.describeOffline()).toEqual([]);
  }, 120_000);

  it.each([
    { what: 'EPERM on a segment file (immutable)', fault: { folder: 'pair-0', ops: ['open'], errno: 'EPERM' } as const },
    { what: 'EACCES on the folder (unreadable)', fault: { folder: 'pair-0', ops: ['list', 'open', 'writeAtomic'], errno: 'EACCES' } as const },
  ])('$what at restart: that partition is offline, the node and every other partition serve, and it returns once the fault is gone', async ({ fault }) => {
    const disks = new DiskFaults();
    const dataDir = tempDir();
    await using cluster = await Cluster.start({ nodes: 1, dataDir, openStore: disks.openStore, clock });
    await cluster.admin().createTopics([{ name: 'pair', partitions: 2 }]);
    const producer = cluster.producer({ acks: 'all', lingerMs: 0 });
    for (const v of range('a', 5)) await producer.send('pair', [{ value: v, partition: 0 }, { value: v, partition: 1 }]);
    await cluster.stopNode(1);

    disks.add({ ...fault, ops: [...fault.ops] });
    await cluster.restartNode(1);
    await eventually(() => cluster.node(1)!.broker.logs.describeOffline().length === 1, 'pair-0 to be reported offline');
    await eventually(async () => (await partitionOf(cluster, 'pair', 0)).leader === -1, 'the controller to take pair-0 off its leader');
    const other = cluster.producer({ acks: 'all', lingerMs: 0 });
    for (const v of range('b', 5)) await other.send('pair', [{ value: v, partition: 1 }]);
    expect(await values(cluster, 'pair', 1, 10)).toEqual([...range('a', 5), ...range('b', 5)]);

    disks.clear();
    await cluster.stopNode(1);
    await cluster.restartNode(1);
    await eventually(async () => (await partitionOf(cluster, 'pair', 0)).leader === 1, 'pair-0 to lead again');
    expect(await values(cluster, 'pair', 0, 5)).toEqual(range('a', 5));
  }, 120_000);

  it('a damaged byte in the middle of a segment: the replica goes offline instead of the process, readers get every record from a healthy replica, and a restart cuts and refetches', async () => {
    const dataDir = tempDir();
    const expected = range('r', 60);
    {
      await using cluster = await Cluster.start({ nodes: 3, dataDir, clock });
      await cluster.admin().createTopics([{ name: 'audit', replicationFactor: 3, configs: { 'segment.bytes': '1024' } }]);
      const producer = cluster.producer({ acks: 'all', lingerMs: 0 });
      for (const v of expected) await producer.send('audit', [{ value: `${v}-${'x'.repeat(40)}` }]);
    }
    // Flip a byte in the middle of node 1's first segment (a record's bytes: the CRC catches it).
    const folder = join(dataDir, 'node-1', 'audit-0');
    const first = readdirSync(folder).filter((f) => f.endsWith('.log')).sort()[0]!;
    const bytes = readFileSync(join(folder, first));
    expect(bytes.length).toBeGreaterThan(400);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(join(folder, first), bytes);

    await using cluster = await Cluster.start({ nodes: 3, dataDir, brokerSessionTimeoutMs: 1000, clock });
    await eventually(() => cluster.node(1)!.broker.logs.describeOffline().length === 1, 'the damaged replica to go offline');
    expect(cluster.node(1)!.broker.logs.describeOffline()[0]!.reason).toMatch(/damaged/);
    await eventually(async () => {
      const p = await partitionOf(cluster, 'audit', 0);
      return p.leader > 0 && p.leader !== 1 && !p.isr.includes(1);
    }, 'leadership and the ISR to leave the damaged replica');
    expect((await values(cluster, 'audit', 0, 60)).map((v) => v.split('-')[0])).toEqual(expected);

    // A restart scans the damaged log, cuts it at the bad batch (reported), and the replica
    // fetches the rest from the leader again.
    await cluster.stopNode(1);
    await cluster.restartNode(1);
    expect(cluster.node(1)!.broker.logs.reports.map((r) => r.message).join('\n')).toMatch(/recovery cut \d+ byte/);
    await eventually(async () => (await partitionOf(cluster, 'audit', 0)).isr.includes(1), 'the repaired replica to rejoin the ISR');
    expect(cluster.node(1)!.broker.replica('audit', 0)!.logEndOffset).toBe(60);
  }, 120_000);

  it('ENOSPC: the producer gets KAFKA_STORAGE_ERROR saying the disk is full; nothing is lost and producing resumes once there is room', async () => {
    const disks = new DiskFaults();
    await using cluster = await Cluster.start({ nodes: 1, openStore: disks.openStore, clock });
    await cluster.admin().createTopics([{ name: 'full' }]);
    const producer = cluster.producer({ acks: 'all', lingerMs: 0, requestTimeoutMs: 1000, deliveryTimeoutMs: 2000, retryBackoffMs: 50 });
    for (const v of range('a', 5)) await producer.send('full', [{ value: v }]);
    const undo = disks.add({ folder: 'full-0', ops: ['append'], errno: 'ENOSPC' });
    const refused = producer.send('full', [{ value: 'lost?' }]);
    await expect(refused).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR' });
    await expect(refused).rejects.toThrow(/disk is full/);
    expect(cluster.node(1)!.broker.logs.describeOffline()).toEqual([]);
    undo();
    const [meta] = await cluster.producer({ acks: 'all', lingerMs: 0 }).send('full', [{ value: 'b0' }]);
    expect(meta!.offset).toBe(5);
    expect(await values(cluster, 'full', 0, 6)).toEqual([...range('a', 5), 'b0']);
  }, 60_000);
});
