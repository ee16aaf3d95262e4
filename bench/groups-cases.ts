/**
 * Consumer group benchmark cases, one per process (issue 5):
 * - `first <groups>`: time from `cluster.consumerGroup(...)` to the first record, each time a new group;
 * - `settle <assignor> <rounds>`: a group of 2 over 12 partitions; a third member joins, then
 *   one leaves (close): time until the members own every partition exactly once again;
 * - `throughput <members> <records> [batch|record]`: records/s a group of N members in this
 *   process reads from a filled 12-partition topic (a handler a batch, or a record), and,
 *   first, records/s a bare consumer (assigned all 12 partitions, no group) reads from the
 *   very same topic: like with like; then, once the cluster is closed, the same 12
 *   partitions read straight from their logs (`read-ceiling.ts`);
 * - `latency <rate> <seconds>`: producer -> group of 1, receive time minus send time.
 */
import { Cluster } from '../src/cluster.js';
import type { ConsumerGroup } from '../src/client/consumer-group.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peakRssMiB, percentile, report } from './lib.js';
import { readLogsDirectly, type ReadCeiling } from './read-ceiling.js';

const [mode, a, b, c] = process.argv.slice(2);
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fill(cluster: Cluster, topic: string, partitions: number, records: number): Promise<void> {
  await cluster.admin().createTopics([{ name: topic, partitions }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 1, batchSize: 256 * 1024 });
  const value = Buffer.alloc(100, 120);
  const chunk = 1000;
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < records; i += chunk) {
    sends.push(producer.send(topic, Array.from({ length: Math.min(chunk, records - i) }, (_, j) => ({ key: `k${(i + j) % 997}`, value }))));
    if (sends.length >= 32) await sends.shift();
  }
  await Promise.all(sends);
  await producer.close();
}

/** Whether the members own every partition of the topic exactly once. */
function settled(members: ConsumerGroup[], partitions: number): boolean {
  const owned = members.flatMap((m) => m.assignment().map((tp) => tp.partition));
  return owned.length === partitions && new Set(owned).size === partitions && members.every((m) => m.assignment().length > 0);
}

async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!cond()) {
    if (now() > deadline) throw new Error('timed out');
    await sleep(1);
  }
}

// A data folder of our own: the throughput case reads its partitions again straight from
// their logs once the cluster is closed (`readLogsDirectly`).
const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-groups-'));
const cluster = await Cluster.start({ dataDir });
let direct: (() => Promise<void>) | undefined;
try {
  if (mode === 'first') {
    const groups = Number(a);
    await fill(cluster, 'events', 6, 6);
    const times: number[] = [];
    for (let i = 0; i < groups; i++) {
      const t0 = now();
      const group = cluster.consumerGroup({ groupId: `first-${i}`, topics: ['events'], from: 'earliest' });
      for await (const _ of group) break;
      times.push(now() - t0);
      await group.close();
    }
    times.sort((x, y) => x - y);
    report({ name: 'group-first', groups, p50Ms: percentile(times, 50), maxMs: times[times.length - 1]!, peakRssMiB: peakRssMiB() });
  } else if (mode === 'settle') {
    const assignor = a as 'range' | 'cooperative-sticky';
    const rounds = Number(b);
    await fill(cluster, 'events', 12, 12);
    const join: number[] = [];
    const leave: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const groupId = `settle-${r}`;
      const make = () => {
        const g = cluster.consumerGroup({ groupId, topics: ['events'], from: 'earliest', assignor });
        // Keep each member's loop running, as a real consumer would.
        void (async () => {
          for await (const _ of g) void _;
        })().catch(() => {});
        return g;
      };
      const members = [make(), make()];
      await until(() => settled(members, 12));
      let t0 = now();
      members.push(make());
      await until(() => settled(members, 12));
      join.push(now() - t0);
      t0 = now();
      const leaving = members.shift()!;
      await leaving.close();
      await until(() => settled(members, 12));
      leave.push(now() - t0);
      await Promise.all(members.map((m) => m.close()));
    }
    join.sort((x, y) => x - y);
    leave.sort((x, y) => x - y);
    report({ name: 'group-settle', assignor, rounds, joinP50Ms: percentile(join, 50), joinMaxMs: join[join.length - 1]!, leaveP50Ms: percentile(leave, 50), leaveMaxMs: leave[leave.length - 1]!, peakRssMiB: peakRssMiB() });
  } else if (mode === 'throughput') {
    const members = Number(a);
    const records = Number(b);
    await fill(cluster, 'events', 12, records);
    const tps = Array.from({ length: 12 }, (_, partition) => ({ topic: 'events', partition }));
    // A warm-up pass, not counted: the first pass over 300,000 records pays for compiling
    // the fetch and decode paths (measured: 530 to 800 ns a record against 290 to 320 for
    // later passes), which the group, reading second, would not; nor would the direct read.
    const warm = cluster.consumer({ maxWaitMs: 500 });
    warm.assign(tps);
    for (const tp of tps) await warm.seek(tp, 'earliest');
    let warmRead = 0;
    for await (const batch of warm.batches()) if ((warmRead += batch.records.length) >= records) break;
    await warm.close();
    // The bare consumer first, on the same records: every partition assigned, from earliest.
    const bare = cluster.consumer({ maxWaitMs: 500 });
    bare.assign(tps);
    const bareCpu0 = process.cpuUsage();
    const bareT0 = now();
    for (const tp of tps) await bare.seek(tp, 'earliest');
    let bareRead = 0;
    // Also timed from the first batch on (its records not counted): the reading rate
    // alone, without the seeks before it (for the group: without joining, the offsets
    // topic's creation for the first group of a cluster, and the offset fetch).
    let bareFirstAt = 0;
    let bareFirstRecords = 0;
    // CPU from the first batch on too: the group's whole-run CPU includes joining.
    let bareFirstCpu = process.cpuUsage();
    for await (const batch of bare.batches()) {
      if (bareFirstAt === 0) [bareFirstAt, bareFirstRecords, bareFirstCpu] = [now(), batch.records.length, process.cpuUsage()];
      bareRead += batch.records.length;
      if (bareRead >= records) break;
    }
    const bareEnd = now();
    const bareSeconds = (bareEnd - bareT0) / 1000;
    const bareCpu = process.cpuUsage(bareCpu0);
    const bareFromFirstCpu = process.cpuUsage(bareFirstCpu);
    await bare.close();
    if (bareRead !== records) throw new Error(`bare consumer read ${bareRead} records, wrote ${records}`);
    const groupId = `throughput-${members}`;
    const group = Array.from({ length: members }, () => cluster.consumerGroup({ groupId, topics: ['events'], from: 'earliest', autoCommitIntervalMs: 1000 }));
    let read = 0;
    const cpu0 = process.cpuUsage();
    const t0 = now();
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    let firstAt = 0;
    let firstRecords = 0;
    let firstCpu = process.cpuUsage();
    // `record` (the fourth argument): a handler a record (`eachRecord`), else a batch.
    for (const g of group) {
      void g.run(
        c === 'record'
          ? {
              eachRecord: () => {
                if (firstAt === 0) [firstAt, firstRecords, firstCpu] = [now(), 1, process.cpuUsage()];
                if (++read >= records) done();
              },
            }
          : {
              eachBatch: (batch) => {
                if (firstAt === 0) [firstAt, firstRecords, firstCpu] = [now(), batch.records.length, process.cpuUsage()];
                read += batch.records.length;
                if (read >= records) done();
              },
            },
      );
    }
    await finished;
    const end = now();
    const seconds = (end - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const fromFirstCpu = process.cpuUsage(firstCpu);
    await Promise.all(group.map((g) => g.close()));
    const result = {
      name: 'group-throughput',
      members,
      records,
      perSecond: records / seconds,
      cpuPerRecordNs: ((cpu.user + cpu.system) * 1000) / records,
      barePerSecond: records / bareSeconds,
      fromFirstPerSecond: (records - firstRecords) / ((end - firstAt) / 1000),
      bareFromFirstPerSecond: (records - bareFirstRecords) / ((bareEnd - bareFirstAt) / 1000),
      fromFirstCpuPerRecordNs: ((fromFirstCpu.user + fromFirstCpu.system) * 1000) / (records - firstRecords),
      bareFromFirstCpuPerRecordNs: ((bareFromFirstCpu.user + bareFromFirstCpu.system) * 1000) / (records - bareFirstRecords),
      firstRecordMs: firstAt - t0,
      bareCpuPerRecordNs: ((bareCpu.user + bareCpu.system) * 1000) / records,
    };
    // After the cluster closed: the same 12 partitions straight from their logs.
    direct = async () => {
      const d: ReadCeiling = await readLogsDirectly(dataDir, 'events', 12);
      if (d.records !== records) throw new Error(`read ${d.records} records directly, wrote ${records}`);
      report({ ...result, directPerSecond: records / d.seconds, directCpuPerRecordNs: d.cpuPerRecordNs, peakRssMiB: peakRssMiB() });
    };
  } else if (mode === 'latency') {
    const rate = Number(a);
    const seconds = Number(b);
    await cluster.admin().createTopics([{ name: 'events', partitions: 1 }]);
    const group = cluster.consumerGroup({ groupId: 'latency', topics: ['events'], from: 'earliest' });
    const samples: number[] = [];
    const warmupUntil = now() + 1000;
    const receiving = (async () => {
      for await (const r of group) {
        const sent = Number(Buffer.from(r.value!).toString());
        if (sent > warmupUntil) samples.push(now() - sent);
      }
    })();
    await group.whenJoined();
    const producer = cluster.producer({ acks: 1, lingerMs: 0 });
    const end = now() + 1000 + seconds * 1000;
    let sent = 0;
    const start = now();
    let last: Promise<unknown> = Promise.resolve();
    while (now() < end) {
      const due = Math.floor(((now() - start) / 1000) * rate);
      while (sent < due) {
        last = producer.send('events', { value: String(now()) });
        sent++;
      }
      await sleep(1);
    }
    await last;
    await sleep(200);
    await group.close();
    await receiving.catch(() => {});
    samples.sort((x, y) => x - y);
    report({ name: 'group-latency', rate, samples: samples.length, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), p999Ms: percentile(samples, 99.9), peakRssMiB: peakRssMiB() });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await cluster.close();
}
try {
  await direct?.();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
