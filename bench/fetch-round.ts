/**
 * What one fetch round costs beside the records it brings (issue 13, the consumer's
 * account): `tsx bench/fetch-round.ts [records] [rounds]` fills a 1-partition topic as
 * `consumer-cases.ts` does (unkeyed calls of 1,000 100-byte records), then reads it, a
 * pass at a time, three ways, interleaved, and prints the CPU of the whole process a round:
 * - `fetch`: the Fetch request a consumer sends (1 MiB for the partition, 50 MiB for the
 *   response, `maxWaitMs` 0), through the cluster's in-process transport to the broker
 *   (validation, the replica manager, the partition, the log's read), no decoding;
 * - `read`: the same partition's log read straight (a copy of its folder, `PartitionLog.read`
 *   of 1 MiB from the same offsets), no decoding: the one pread into a fresh buffer that
 *   each fetch also makes.
 * Both find the next offset the consumer's way (`endOffsetOf`, a walk over the batches'
 * lengths). So `fetch` minus `read` is what the request's trip through the transport and the broker
 * costs a round. Records a round and rounds a pass are printed beside.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../src/cluster.js';
import { endOffsetOf } from '../src/client/completed-fetch.js';
import type { ProducerRecord } from '../src/client/producer.js';
import { ApiKey } from '../src/protocol/api-keys.js';
import { PartitionLog } from '../src/storage/partition-log.js';
import { report } from './lib.js';

const records = Number(process.argv[2] ?? 1_000_000);
const passes = Number(process.argv[3] ?? 6);
const topic = 'rounds';
const partitionBytes = 1 << 20;

const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-fetch-round-'));
const copy = mkdtempSync(join(tmpdir(), 'tributary-bench-fetch-round-copy-'));
const cluster = await Cluster.start({ nodes: 1, dataDir });
try {
  await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
  const producer = cluster.producer({ acks: 1, lingerMs: 1, batchSize: 512 * 1024, bufferMemory: 64 * 1024 * 1024 });
  const value = Buffer.alloc(100, 0x62);
  const call: ProducerRecord[] = Array.from({ length: 1000 }, () => ({ value }));
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < records; i += 1000) {
    sends.push(producer.sendBatch(topic, call));
    if (sends.length >= 32) await sends.shift();
  }
  await Promise.all(sends);
  await producer.close();
  const node = readdirSync(dataDir).find((d) => d.startsWith('node-'))!;
  cpSync(join(dataDir, node, `${topic}-0`), join(copy, node, `${topic}-0`), { recursive: true });
  const log = await PartitionLog.open({ dataDir: join(copy, node), topic, partition: 0 });
  const leader = cluster.transport.bootstrapNodes()[0]!;

  /** One pass of fetches from offset 0: rounds made, bytes brought. */
  async function fetchPass(): Promise<{ rounds: number; bytes: number }> {
    let offset = 0;
    let rounds = 0;
    let bytes = 0;
    while (offset < records) {
      const response = await cluster.transport.send(leader, {
        apiKey: ApiKey.Fetch,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 50 * 1024 * 1024,
        isolationLevel: 0,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, partitionMaxBytes: partitionBytes }] }],
      });
      const data = response.responses[0]!.partitions[0]!.records!;
      offset = endOffsetOf(data, offset);
      bytes += data.length;
      rounds++;
    }
    return { rounds, bytes };
  }
  function readPass(): { rounds: number; bytes: number } {
    let offset = 0;
    let rounds = 0;
    let bytes = 0;
    while (offset < records) {
      const data = log.read(offset, { maxBytes: partitionBytes }).records;
      offset = endOffsetOf(data, offset);
      bytes += data.length;
      rounds++;
    }
    return { rounds, bytes };
  }

  const cpu: Record<'fetch' | 'read', number> = { fetch: 0, read: 0 };
  let rounds = 0;
  let bytes = 0;
  for (let pass = -3; pass < passes; pass++) {
    for (const way of pass % 2 === 0 ? (['fetch', 'read'] as const) : (['read', 'fetch'] as const)) {
      const c0 = process.cpuUsage();
      const r = way === 'fetch' ? await fetchPass() : readPass();
      const c = process.cpuUsage(c0);
      if (pass >= 0) cpu[way] += c.user + c.system;
      [rounds, bytes] = [r.rounds, r.bytes];
    }
  }
  await log.close();
  const perRound = (way: keyof typeof cpu): number => cpu[way] / (passes * rounds);
  report({
    name: 'fetch-round',
    records,
    roundsPerPass: rounds,
    recordsPerRound: records / rounds,
    bytesPerRound: bytes / rounds,
    fetchUsPerRound: perRound('fetch'),
    readUsPerRound: perRound('read'),
    fetchOverReadUsPerRound: perRound('fetch') - perRound('read'),
    fetchOverReadNsPerRecord: ((perRound('fetch') - perRound('read')) * 1000 * rounds) / records,
  });
} finally {
  await cluster.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(copy, { recursive: true, force: true });
}

