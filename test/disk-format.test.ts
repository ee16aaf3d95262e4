/**
 * The frozen disk format: `test/fixtures/disk-format/v1/` is a 3-node cluster's data folder
 * written by Tributary 0.x (see its README). Every later version must open it and read the
 * same records, topics, configs and committed offsets, then go on accepting writes. The
 * fixture is never opened in place: each test copies it to a temporary folder first.
 *
 * If this test fails, the change broke files users already have on disk. Either read the
 * old format too, or make the change a new format (a new fixture folder beside v1, which
 * stays and keeps passing).
 */
import { cpSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/cluster.js';
import type { ConsumerRecord } from '../src/client/consumer.js';
import { compressionTypes, iterateBatches, type RecordHeader } from '../src/record/batch.js';
import { decodeBatches } from '../src/record/codecs/index.js';
import { PartitionLog } from '../src/storage/partition-log.js';
import { committedOffsets, compactedRecords, deletedBefore, fixtureGroup, fixtureRecords, fixtureTopics, trimmedRecords } from './fixtures/disk-format/expected.js';
import { useTempDirs } from './helpers/temp-dirs.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'disk-format', 'v1');
const tempDir = useTempDirs('tributary-disk-format-');

function copyFixture(): string {
  const dir = tempDir();
  cpSync(fixture, dir, { recursive: true });
  return dir;
}

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));
const headersOf = (hs: readonly RecordHeader[]): Record<string, string> | undefined =>
  hs.length === 0 ? undefined : Object.fromEntries(hs.map((h) => [h.key, text(h.value)!]));

interface Expected {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers?: Record<string, string> | undefined;
  readonly timestamp: number;
}

/** What the fixture holds for a partition, by offset (the records as they were written). */
function written(topic: string, partition: number): Expected[] {
  const list =
    topic === 'fixture-plain' ? fixtureRecords.filter((r) => r.partition === partition)
    : topic === 'fixture-compacted' ? compactedRecords
    : trimmedRecords;
  return list.map((r, offset) => ({ offset, key: r.key, value: r.value, headers: 'headers' in r ? r.headers : undefined, timestamp: r.timestamp }));
}

function simplify(r: { offset: number; key: Uint8Array | null; value: Uint8Array | null; headers: readonly RecordHeader[]; timestamp: number }): Expected {
  return { offset: r.offset, key: text(r.key), value: text(r.value), headers: headersOf(r.headers), timestamp: r.timestamp };
}

/** Checks records read from `topic`/`partition` starting at `start`: each is the record written at its offset. */
function checkRead(topic: string, partition: number, start: number, read: Expected[]): void {
  const all = written(topic, partition);
  const end = all.length;
  expect(read.length).toBeGreaterThan(0);
  for (const r of read) expect(r).toEqual(all[r.offset]);
  const offsets = read.map((r) => r.offset);
  expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  expect(offsets[0]).toBeGreaterThanOrEqual(start);
  if (topic === 'fixture-compacted') {
    // Compaction may drop older versions; the last version of every key (and k3's tombstone, within delete.retention.ms) stays.
    const last = new Map<string, Expected>();
    for (const r of all) last.set(r.key!, r);
    for (const r of last.values()) expect(read).toContainEqual(r);
  } else {
    expect(offsets).toEqual(Array.from({ length: end - start }, (_, i) => start + i));
  }
}

async function readAll(cluster: Cluster, topic: string, partition: number, end: number): Promise<ConsumerRecord[]> {
  const consumer = cluster.consumer({ maxWaitMs: 100 });
  try {
    consumer.assign([{ topic, partition }]);
    await consumer.seek({ topic, partition }, 'earliest');
    const out: ConsumerRecord[] = [];
    if (end === 0) return out;
    for await (const r of consumer) {
      out.push(r);
      if (r.offset >= end - 1) break;
    }
    return out;
  } finally {
    await consumer.close();
  }
}

describe('disk format v1', () => {
  it('PartitionLog opens a partition of the fixture and reads the same records, batch by batch', async () => {
    const dataDir = join(copyFixture(), 'node-1');
    const log = await PartitionLog.open({ dataDir, topic: 'fixture-plain', partition: 1 });
    try {
      expect(log.logStartOffset).toBe(0);
      expect(log.logEndOffset).toBe(20);
      const { records } = log.read(0, { maxBytes: 1 << 20 });
      // One batch per compression type, in the order they were sent.
      const codecs = [...iterateBatches(records)].map((b) => compressionTypes[b.header.attributes & 7]);
      expect(codecs).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
      const read = (await decodeBatches(records)).map(simplify);
      expect(read).toEqual(written('fixture-plain', 1));
    } finally {
      await log.close();
    }
    // deleteRecords moved partition 0's log start offset. The leader (node 3 when the
    // fixture was written) checkpointed it; its followers had not yet (they learn it from
    // the leader's fetch responses), so their copies still start at 0.
    const starts: number[] = [];
    for (const node of [1, 2, 3]) {
      const log0 = await PartitionLog.open({ dataDir: join(dataDir, '..', `node-${node}`), topic: 'fixture-plain', partition: 0 });
      try {
        starts.push(log0.logStartOffset);
        const read = (await decodeBatches(log0.read(log0.logStartOffset, { maxBytes: 1 << 20 }).records)).map(simplify).filter((r) => r.offset >= log0.logStartOffset);
        expect(read).toEqual(written('fixture-plain', 0).slice(log0.logStartOffset));
      } finally {
        await log0.close();
      }
    }
    expect(starts).toEqual([0, 0, deletedBefore]);
  });

  it('a 3-node cluster opens the fixture: same topics, configs, records, committed offsets; then accepts writes', async () => {
    const dataDir = copyFixture();
    const cluster = await Cluster.start({ dataDir, nodes: 3 });
    try {
      const admin = cluster.admin();
      expect((await admin.listTopics()).filter((t) => t.startsWith('fixture-')).sort()).toEqual(fixtureTopics.map((t) => t.name).sort());
      const described = await admin.describeTopics(fixtureTopics.map((t) => t.name));
      for (const t of fixtureTopics) {
        const d = described.find((x) => x.name === t.name)!;
        expect(d.partitions.length).toBe(t.partitions);
        for (const p of d.partitions) expect(p.replicas.length).toBe(3);
        const configs = await admin.describeConfigs(t.name);
        for (const [name, value] of Object.entries(t.configs)) expect(configs[name]?.value).toBe(value);
      }

      for (const t of fixtureTopics) {
        const starts = await admin.listOffsets(t.name, 'earliest');
        const ends = await admin.listOffsets(t.name, 'latest');
        for (let partition = 0; partition < t.partitions; partition++) {
          const start = starts.find((s) => s.partition === partition)!.offset;
          const end = ends.find((s) => s.partition === partition)!.offset;
          expect(end).toBe(written(t.name, partition).length);
          if (t.name === 'fixture-plain') expect(start).toBe(partition === 0 ? deletedBefore : 0);
          if (t.name === 'fixture-trimmed') expect(start).toBeGreaterThan(0);
          const read = (await readAll(cluster, t.name, partition, end)).map(simplify);
          checkRead(t.name, partition, start, read);
        }
      }

      const group = await admin.describeGroup(fixtureGroup);
      const committed = Object.fromEntries(group.offsets.map((o) => [`${o.topic}/${o.partition}`, o.committed]));
      const want: Record<string, number> = {};
      for (const [topic, offset] of Object.entries(committedOffsets)) {
        const t = fixtureTopics.find((x) => x.name === topic)!;
        for (let p = 0; p < t.partitions; p++) want[`${topic}/${p}`] = offset;
      }
      expect(committed).toEqual(want);

      // New writes land after the old records and read back.
      const producer = cluster.producer();
      const [meta] = await producer.send('fixture-plain', [{ partition: 1, key: 'new', value: 'after the reopen' }]);
      await producer.close();
      expect(meta!.offset).toBe(20);
      const again = await readAll(cluster, 'fixture-plain', 1, 21);
      expect(text(again.at(-1)!.value)).toBe('after the reopen');
      await admin.createTopics([{ name: 'after-reopen', partitions: 1 }]);
      expect(await admin.listTopics()).toContain('after-reopen');
    } finally {
      await cluster.close();
    }
  }, 120_000);
});
