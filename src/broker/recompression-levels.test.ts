/**
 * A topic's codec level (KIP-390: `compression.gzip.level`, `compression.zstd.level`)
 * applied where the leader rebuilds a batch in the topic's `compression.type`, through the
 * public API: the same uncompressed batches produced into topics that differ only in the
 * level are stored (read back from the segment files) in the topic's codec, smaller at the
 * higher level, and decode to exactly the records sent; a level changed with
 * alterConfigs (IncrementalAlterConfigs) applies to the next batch. lz4 has no levels here, so its level
 * is accepted and changes nothing (as its description says).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { compressionOf, readBatchHeader, type CompressionType } from '../record/batch.js';
import { codecFor, decodeBatch } from '../record/codecs/index.js';
import { configDocs } from '../metadata/broker-configs.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { readAll } from '../../test/wire/helpers/cluster.js';
import { untilNodeImage } from '../../test/helpers/node-image.js';

const tempDir = useTempDirs('tributary-levels-');

/** Every batch of a partition's segment files, as stored. */
function storedBatches(cluster: Cluster, topic: string): Buffer[] {
  const dir = join(cluster.dataDir, 'node-1', `${topic}-0`);
  const out: Buffer[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const data = readFileSync(join(dir, f));
    let p = 0;
    while (p + 61 <= data.length) {
      const batchLength = data.readInt32BE(p + 8);
      if (batchLength <= 0) break;
      out.push(data.subarray(p, p + 12 + batchLength));
      p += 12 + batchLength;
    }
  }
  return out;
}

/** Compressible records, as events in JSON are: repeated field names, values from small sets. */
function records(batch: number): { key: string; value: string }[] {
  let seed = 7919 + batch;
  const next = (): number => (seed = (seed * 48271) % 2147483647);
  const actions = ['click', 'view', 'buy', 'scroll'];
  return Array.from({ length: 200 }, (_, i) => ({
    key: `k${batch}-${i}`,
    value: JSON.stringify({ id: i, user: `user-${next() % 50}`, action: actions[next() % 4], amount: next() % 10_000, tags: [`a${next() % 20}`, `b${next() % 30}`] }),
  }));
}

const batches = 3;

async function produceInto(cluster: Cluster, topic: string, from = 0, to = batches): Promise<void> {
  await using producer = cluster.producer({ compression: 'none', lingerMs: 0, batchSize: 1024 * 1024 });
  for (let b = from; b < to; b++) await producer.sendBatch(topic, records(b));
}

async function expectStoredAs(cluster: Cluster, topic: string, codec: CompressionType, count = batches): Promise<number[]> {
  const stored = storedBatches(cluster, topic);
  expect(stored.map((b) => compressionOf(readBatchHeader(b, 0).attributes)), topic).toEqual(Array.from({ length: count }, () => codec));
  // Each stored batch decodes to the records sent (CRC checked), and a consumer reads them back too.
  for (const [b, batch] of stored.entries()) {
    const decoded = await decodeBatch(batch);
    expect(decoded.map((r) => [Buffer.from(r.key!).toString(), Buffer.from(r.value!).toString()]), `${topic} batch ${b}`).toEqual(records(b).map((r) => [r.key, r.value]));
  }
  const read = await readAll(cluster, topic);
  expect(read.map((r) => Buffer.from(r.value!).toString()), topic).toEqual(Array.from({ length: count }, (_, b) => records(b).map((r) => r.value)).flat());
  return stored.map((b) => b.length);
}

describe('compression levels where the broker recompresses', { timeout: 240_000 }, () => {
  it('gzip and zstd batches are rebuilt at the topic level: smaller at the higher level, the same records', async () => {
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    const admin = cluster.admin();
    const topics: { name: string; configs: Record<string, string> }[] = [
      { name: 'gzip-1', configs: { 'compression.type': 'gzip', 'compression.gzip.level': '1' } },
      { name: 'gzip-9', configs: { 'compression.type': 'gzip', 'compression.gzip.level': '9' } },
      { name: 'zstd-1', configs: { 'compression.type': 'zstd', 'compression.zstd.level': '1' } },
      { name: 'zstd-19', configs: { 'compression.type': 'zstd', 'compression.zstd.level': '19' } },
      { name: 'zstd-neg', configs: { 'compression.type': 'zstd', 'compression.zstd.level': '-50' } },
    ];
    await admin.createTopics(topics.map((t) => ({ ...t, partitions: 1, replicationFactor: 1 })));
    for (const t of topics) await produceInto(cluster, t.name);
    const size = async (topic: string, codec: CompressionType): Promise<number[]> => expectStoredAs(cluster, topic, codec);
    const [gzip1, gzip9, zstd1, zstd19, zstdNeg] = [await size('gzip-1', 'gzip'), await size('gzip-9', 'gzip'), await size('zstd-1', 'zstd'), await size('zstd-19', 'zstd'), await size('zstd-neg', 'zstd')];
    for (let b = 0; b < batches; b++) {
      expect(gzip9[b]!, `gzip batch ${b}: level 9 ${gzip9[b]} vs level 1 ${gzip1[b]}`).toBeLessThan(gzip1[b]!);
      expect(zstd19[b]!, `zstd batch ${b}: level 19 ${zstd19[b]} vs level 1 ${zstd1[b]}`).toBeLessThan(zstd1[b]!);
      expect(zstd1[b]!, `zstd batch ${b}: level 1 ${zstd1[b]} vs level -50 ${zstdNeg[b]}`).toBeLessThan(zstdNeg[b]!);
    }
  });

  it('a level changed with alterConfigs applies to the next rebuilt batch', async () => {
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'gzip-alter', partitions: 1, replicationFactor: 1, configs: { 'compression.type': 'gzip', 'compression.gzip.level': '1' } }]);
    await produceInto(cluster, 'gzip-alter', 0, 1);
    await admin.alterConfigs('gzip-alter', { 'compression.gzip.level': '9' });
    await untilNodeImage(cluster, 'level 9 applied', async () => (await admin.describeConfigs('gzip-alter'))['compression.gzip.level']!.value === '9');
    // The same records again, now at level 9: batch 0 of each run holds the same records.
    await produceInto(cluster, 'gzip-alter', 0, 1);
    const [first, second] = storedBatches(cluster, 'gzip-alter').map((b) => b.length);
    expect(second!, `level 9 ${second} vs level 1 ${first}`).toBeLessThan(first!);
  });

  it('codecFor(...).compress takes the level for gzip and zstd; lz4 has none here, and its config says so', async () => {
    const data = Buffer.from(records(0).map((r) => r.value).join(''));
    const sizes = async (type: CompressionType, levels: readonly number[]): Promise<number[]> => {
      const codec = codecFor(type);
      const out: number[] = [];
      for (const level of levels) {
        const packed = await codec.compress(data, level);
        expect((await codec.decompress(packed)).equals(data), `${type} ${level}`).toBe(true);
        out.push(packed.length);
      }
      return out;
    };
    const [gzip1, gzip9] = await sizes('gzip', [1, 9]);
    expect(gzip9!).toBeLessThan(gzip1!);
    const [zstdNeg, zstd19] = await sizes('zstd', [-50, 19]);
    expect(zstd19!).toBeLessThan(zstdNeg!);
    const [lz4Low, lz4High] = await sizes('lz4', [1, 17]);
    expect(lz4High).toBe(lz4Low);
    expect(configDocs['compression.lz4.level']).toMatch(/not applied/);
  });
});
