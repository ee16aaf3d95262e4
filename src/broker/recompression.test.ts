/**
 * A topic's `compression.type` applied on the leader's append (recompression.ts), through
 * the public API: every codec a Producer sends into a topic of every compression.type
 * lands in the segment file in the topic's codec (`producer`: the producer's), every
 * record read back exactly (key, value, headers, timestamp, dense offsets); idempotent
 * producers with requests in flight keep their order while batches are converted; the
 * cluster-wide `compression.type` and a change of a topic's value apply at once;
 * LogAppendTime is stamped on converted batches. Below the API, `recompressBatches`
 * keeps every header field, leaves control batches alone, and refuses a batch whose CRC
 * is good but whose compressed bytes are not.
 */
import { describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { ApiKey } from '../protocol/api-keys.js';
import { attributeBits, compressionOf, encodeBatchUncompressed, readBatchHeader, type CompressionType } from '../record/batch.js';
import { encodeBatch } from '../record/codecs/index.js';
import { encodeControlBatch } from '../record/control-record.js';
import { useTempDirs } from '../../test/helpers/temp-dirs.js';
import { readAll, storedCodecs } from '../../test/wire/helpers/cluster.js';
import { RecompressionGates, recompressBatches } from './recompression.js';
import { untilNodeImage } from '../../test/helpers/node-image.js';

const tempDir = useTempDirs('tributary-recompress-');
const codecs: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const topicTypes = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const codecNumber = (c: CompressionType): number => codecs.indexOf(c);
const targetOf = (t: (typeof topicTypes)[number], sent: CompressionType): CompressionType => (t === 'producer' ? sent : t === 'uncompressed' ? 'none' : t);

const rules = { assignOffsets: true, nextOffset: -1, maxMessageBytes: 1_048_588, keysRequired: false };

describe('compression.type on the leader append', { timeout: 240_000 }, () => {
  it('stores every producer codec in the codec of every topic compression.type, and every record reads back as sent', async () => {
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    const admin = cluster.admin();
    await admin.createTopics(topicTypes.map((t) => ({ name: `rc-${t}`, partitions: 1, replicationFactor: 1, configs: { 'compression.type': t } })));
    const base = Date.now() - 60_000;
    for (const t of topicTypes) {
      const topic = `rc-${t}`;
      for (const [k, codec] of codecs.entries()) {
        await using producer = cluster.producer({ compression: codec, lingerMs: 0 });
        await producer.sendBatch(
          topic,
          Array.from({ length: 20 }, (_, i) => ({
            key: i === 3 ? null : `${codec}-${i}`,
            value: i === 5 ? null : `value ${i} `.repeat(20),
            headers: { trace: `t${i}`, empty: '' },
            timestamp: base + k * 100 + i,
          })),
        );
      }
      const stored = storedCodecs(cluster, 1, topic, 0);
      expect(stored, topic).toEqual(codecs.map((c) => codecNumber(targetOf(t, c))));
      const records = await readAll(cluster, topic);
      expect(records.map((r) => r.offset), topic).toEqual(Array.from({ length: 100 }, (_, i) => i));
      for (const [k, codec] of codecs.entries()) {
        for (let i = 0; i < 20; i++) {
          const r = records[k * 20 + i]!;
          expect(r.key === null ? null : Buffer.from(r.key).toString(), `${topic} ${codec} ${i}`).toBe(i === 3 ? null : `${codec}-${i}`);
          expect(r.value === null ? null : Buffer.from(r.value).toString()).toBe(i === 5 ? null : `value ${i} `.repeat(20));
          expect(r.timestamp).toBe(base + k * 100 + i);
          expect(r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString()])).toEqual([
            ['trace', `t${i}`],
            ['empty', ''],
          ]);
        }
      }
    }
  });

  it('an idempotent producer with requests in flight, its batches converted, beside one whose batches need none: every record once, in order', async () => {
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    const topic = 'rc-order';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 1, configs: { 'compression.type': 'gzip' } }]);
    await using plain = cluster.producer({ compression: 'none', lingerMs: 0, maxInFlight: 5 });
    await using packed = cluster.producer({ compression: 'gzip', lingerMs: 0, maxInFlight: 5 });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      // Large values make each gzip pass take a while; small ones race past it if they can.
      sends.push(plain.send(topic, { key: 'plain', value: `${i}:${'x'.repeat(i % 3 === 0 ? 50_000 : 10)}` }));
      sends.push(packed.send(topic, { key: 'packed', value: `${i}` }));
    }
    await Promise.all(sends);
    const records = await readAll(cluster, topic);
    expect(records.length).toBe(600);
    for (const key of ['plain', 'packed']) {
      const seq = records.filter((r) => Buffer.from(r.key!).toString() === key).map((r) => Number(Buffer.from(r.value!).toString().split(':')[0]));
      expect(seq, key).toEqual(Array.from({ length: 300 }, (_, i) => i));
    }
    expect(new Set(storedCodecs(cluster, 1, topic, 0))).toEqual(new Set([codecNumber('gzip')]));
  });

  it('appends a request whose batch converts before a later request to the same partition whose batch does not', async () => {
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    const topic = 'rc-race';
    await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 1, configs: { 'compression.type': 'gzip' } }]);
    await using warm = cluster.producer({ lingerMs: 0 });
    await warm.send(topic, { value: 'open the replica' });
    const broker = cluster.node(1)!.broker;
    const produce = (records: Uint8Array) => broker.handle({ apiKey: ApiKey.Produce, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    // The first needs a gzip pass over 800 kB (off the event loop); the second is gzip already.
    const slow = encodeBatchUncompressed(Array.from({ length: 40 }, (_, i) => ({ value: Buffer.alloc(20_000, i) })));
    const quick = await encodeBatch([{ value: Buffer.from('second') }], { compression: 'gzip' });
    const [a, b] = await Promise.all([produce(slow), produce(quick)]);
    const answers = [a, b].map((r) => r.responses[0]!.partitionResponses[0]!);
    expect(answers.map((r) => [r.errorCode, r.baseOffset])).toEqual([['NONE', 1], ['NONE', 41]]);
  });

  it('applies the cluster-wide compression.type and a topic’s new value at once, and stamps LogAppendTime on a converted batch', async () => {
    await using cluster = await Cluster.start({ nodes: 1, dataDir: tempDir() });
    const admin = cluster.admin();
    await admin.createTopics([
      { name: 'rc-default', partitions: 1, replicationFactor: 1 },
      { name: 'rc-altered', partitions: 1, replicationFactor: 1 },
      { name: 'rc-append-time', partitions: 1, replicationFactor: 1, configs: { 'compression.type': 'zstd', 'message.timestamp.type': 'LogAppendTime' } },
    ]);
    await using producer = cluster.producer({ compression: 'snappy', lingerMs: 0 });
    await producer.send('rc-altered', { value: 'before' });
    const typeOf = async (topic: string) => (await admin.describeConfigs(topic))['compression.type']!.value;
    await admin.alterConfigs('rc-altered', { 'compression.type': 'lz4' });
    await untilNodeImage(cluster, 'lz4 applied', async () => (await typeOf('rc-altered')) === 'lz4');
    await producer.send('rc-altered', { value: 'after' });
    await admin.alterConfigs('rc-altered', { 'compression.type': null });
    await untilNodeImage(cluster, 'producer again', async () => (await typeOf('rc-altered')) === 'producer');
    await producer.send('rc-altered', { value: 'producer again' });
    expect(storedCodecs(cluster, 1, 'rc-altered', 0)).toEqual([codecNumber('snappy'), codecNumber('lz4'), codecNumber('snappy')]);

    const handle = cluster.node(1)!.broker;
    const set = await handle.handle({ apiKey: 44, resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'compression.type', configOperation: 'SET', value: 'gzip' }] }], validateOnly: false } as never);
    expect(JSON.stringify(set)).toContain('"errorCode":"NONE"');
    await untilNodeImage(cluster, 'the cluster-wide gzip applied', async () => (await typeOf('rc-default')) === 'gzip');
    await producer.send('rc-default', { value: 'cluster default' });
    expect(storedCodecs(cluster, 1, 'rc-default', 0)).toEqual([codecNumber('gzip')]);

    const before = Date.now();
    await producer.send('rc-append-time', { value: 'stamped', timestamp: 1_000 });
    expect(storedCodecs(cluster, 1, 'rc-append-time', 0)).toEqual([codecNumber('zstd')]);
    const [r] = await readAll(cluster, 'rc-append-time');
    expect(r!.timestamp).toBeGreaterThanOrEqual(before);
  });
});

describe('recompressBatches', () => {
  it('keeps every header field but the codec, and the records section', async () => {
    const records = [
      { key: Buffer.from('a'), value: Buffer.from('one'), headers: [{ key: 'h', value: null }], timestamp: 5_000 },
      { key: null, value: Buffer.alloc(0), timestamp: 4_000 },
    ];
    const sent = await encodeBatch(records, { compression: 'lz4', producerId: 42, producerEpoch: 3, baseSequence: 17, transactional: true, partitionLeaderEpoch: 9 });
    const r = await recompressBatches(sent, 'zstd', rules);
    expect(r.ok && r.converted).toBe(1);
    if (!r.ok) return;
    const a = readBatchHeader(sent);
    const b = readBatchHeader(r.bytes);
    expect(compressionOf(b.attributes)).toBe('zstd');
    expect(b.attributes & attributeBits.transactional).toBe(attributeBits.transactional);
    expect({ ...b, attributes: 0, crc: 0, batchLength: 0 }).toEqual({ ...a, attributes: 0, crc: 0, batchLength: 0 });
    const { decodeBatch } = await import('../record/codecs/index.js');
    expect(await decodeBatch(r.bytes)).toEqual(await decodeBatch(sent));
    // Already in the target codec: the same bytes, not a copy.
    const same = await recompressBatches(r.bytes, 'zstd', rules);
    expect(same.ok && same.bytes).toBe(r.bytes);
  });

  it('leaves a control batch as it is, and refuses a batch whose CRC is good but whose compressed bytes are not', async () => {
    const marker = encodeControlBatch({ type: 'COMMIT', coordinatorEpoch: 0 }, { producerId: 1, producerEpoch: 0, now: 1 });
    const kept = await recompressBatches(marker, 'gzip', rules);
    expect(kept.ok && kept.converted).toBe(0);

    const sent = await encodeBatch([{ value: Buffer.alloc(2000, 1) }], { compression: 'gzip' });
    const broken = Buffer.from(sent);
    broken.fill(0xaa, 61 + 10, 61 + 30); // inside the gzip stream
    const { crc32c } = await import('../util/crc32c.js');
    broken.writeUInt32BE(crc32c(broken, 21), 17);
    const r = await recompressBatches(broken, 'none', rules);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errorCode).toBe('CORRUPT_MESSAGE');
  });

  it('gates: a later hold on a partition waits for the earlier one, and releasing the last forgets the partition', async () => {
    const gates = new RecompressionGates();
    const first = gates.hold(['t-0', 't-1']);
    const second = gates.hold(['t-1']);
    const order: string[] = [];
    const done = second.ready.then(() => order.push('second'));
    await first.ready;
    order.push('first');
    await Promise.resolve();
    expect(order).toEqual(['first']);
    first.release();
    await done;
    expect(order).toEqual(['first', 'second']);
    expect(gates.isHeld('t-0')).toBe(false);
    expect(gates.holding).toBe(true);
    second.release();
    expect(gates.holding).toBe(false);
  });
});
