import { describe, expect, it } from 'vitest';
import { AssertionError } from '../util/assert.js';
import { isTributaryError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { imageDifference, MetadataDelta, MetadataImage, replayRecords, restore, snapshot, snapshotRecords } from './image.js';
import { ApiKey, ConfigResourceType, type MetadataRecord } from './records.js';
import { randomUuid } from './uuid.js';

const rng = new Rng(42);
const t1 = randomUuid(rng);
const t2 = randomUuid(rng);
const inc = randomUuid(rng);

const register = (brokerId: number, brokerEpoch: number): MetadataRecord => ({
  apiKey: ApiKey.RegisterBroker,
  brokerId,
  incarnationId: inc,
  brokerEpoch,
  endpoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092 + brokerId, securityProtocol: 0 }],
  rack: null,
  fenced: true,
});

const partition = (topicId: string, partitionId: number, replicas: number[], leader = replicas[0]!): MetadataRecord => ({
  apiKey: ApiKey.Partition,
  topicId,
  partitionId,
  replicas,
  isr: replicas,
  leader,
  leaderEpoch: 0,
  partitionEpoch: 0,
  eligibleLeaderReplicas: null,
  lastKnownElr: null,
});

/** A small history touching every record type. */
function history(): MetadataRecord[] {
  return [
    { apiKey: ApiKey.FeatureLevel, name: 'metadata.version', featureLevel: 3 },
    register(1, 1),
    register(2, 2),
    register(3, 3),
    { apiKey: ApiKey.UnfenceBroker, brokerId: 1, brokerEpoch: 1 },
    { apiKey: ApiKey.UnfenceBroker, brokerId: 2, brokerEpoch: 2 },
    { apiKey: ApiKey.UnfenceBroker, brokerId: 3, brokerEpoch: 3 },
    { apiKey: ApiKey.Topic, name: 'orders', topicId: t1 },
    partition(t1, 0, [1, 2, 3]),
    partition(t1, 1, [2, 3, 1]),
    { apiKey: ApiKey.Config, resourceType: ConfigResourceType.Topic, resourceName: 'orders', name: 'retention.ms', value: '1000' },
    { apiKey: ApiKey.Topic, name: 'a.b', topicId: t2 },
    partition(t2, 0, [3]),
    { apiKey: ApiKey.FenceBroker, brokerId: 1, brokerEpoch: 1 },
    { apiKey: ApiKey.PartitionChange, topicId: t1, partitionId: 0, isr: [2, 3], leader: 2 },
    { apiKey: ApiKey.PartitionChange, topicId: t1, partitionId: 1, isr: [2, 3] },
    { apiKey: ApiKey.Config, resourceType: ConfigResourceType.Broker, resourceName: '', name: 'log.retention.ms', value: '5000' },
    { apiKey: ApiKey.ProducerIds, brokerId: 2, brokerEpoch: 2, nextProducerId: 1000 },
    { apiKey: ApiKey.NoOp },
  ];
}

const withOffsets = (records: MetadataRecord[], first = 0): { record: MetadataRecord; offset: number }[] =>
  records.map((record, i) => ({ record, offset: first + i }));

describe('MetadataImage', () => {
  it('replays records into topics, partitions, brokers and configs', () => {
    const image = replayRecords(withOffsets(history()));
    expect(image.offset).toBe(history().length - 1);
    expect(image.topicCount).toBe(2);
    expect(image.partitionCount).toBe(3);
    const orders = image.topic('orders')!;
    expect(orders.id).toBe(t1);
    expect(image.topicById(t1)).toBe(orders);
    const p0 = orders.partitions[0]!;
    expect(p0.replicas).toEqual([1, 2, 3]);
    expect(p0.isr).toEqual([2, 3]);
    expect(p0.leader).toBe(2);
    expect(p0.leaderEpoch).toBe(1); // the leader changed
    expect(p0.partitionEpoch).toBe(1);
    const p1 = orders.partitions[1]!;
    expect(p1.leader).toBe(2);
    expect(p1.leaderEpoch).toBe(0); // an ISR-only change keeps the leader epoch
    expect(p1.partitionEpoch).toBe(1);
    expect(image.broker(1)!.fenced).toBe(true);
    expect(image.broker(2)!.fenced).toBe(false);
    expect(image.brokerList().map((b) => b.id)).toEqual([1, 2, 3]);
    expect(image.configs(ConfigResourceType.Topic, 'orders').get('retention.ms')).toBe('1000');
    expect(image.configs(ConfigResourceType.Broker, '').get('log.retention.ms')).toBe('5000');
    expect(image.features.get('metadata.version')).toBe(3);
    expect(image.nextProducerId).toBe(1000);
    expect(image.collidingTopic('a_b')).toBe('a.b');
    expect(image.collidingTopic('a.b')).toBeUndefined(); // a topic does not collide with itself
  });

  it('shares the ISR array with the replica list when they are equal', () => {
    const image = replayRecords(withOffsets(history()));
    const p = image.topic('a.b')!.partitions[0]!;
    expect(p.isr).toBe(p.replicas);
    expect(p.eligibleLeaderReplicas).toEqual([]);
  });

  it('never changes an image it was applied to', () => {
    const records = history();
    const images = [MetadataImage.empty];
    for (let i = 0; i < records.length; i++) images.push(images[i]!.apply(records[i]!, i));
    // Replaying each prefix again gives an image equal to the one kept along the way.
    for (let i = 0; i <= records.length; i++) {
      const again = i === 0 ? MetadataImage.empty : replayRecords(withOffsets(records.slice(0, i)));
      expect(imageDifference(images[i]!, again)).toBeUndefined();
    }
  });

  it('removing a topic removes its partitions, configs and collision key', () => {
    const image = replayRecords(withOffsets([...history(), { apiKey: ApiKey.RemoveTopic, topicId: t1 }, { apiKey: ApiKey.RemoveTopic, topicId: t2 }]));
    expect(image.topic('orders')).toBeUndefined();
    expect(image.topicById(t1)).toBeUndefined();
    expect(image.partitionCount).toBe(0);
    expect(image.configs(ConfigResourceType.Topic, 'orders').size).toBe(0);
    expect(image.collidingTopic('a_b')).toBeUndefined();
  });

  it('deleting a config with a null value, and a feature with level 0', () => {
    const image = replayRecords(
      withOffsets([
        ...history(),
        { apiKey: ApiKey.Config, resourceType: ConfigResourceType.Topic, resourceName: 'orders', name: 'retention.ms', value: null },
        { apiKey: ApiKey.FeatureLevel, name: 'metadata.version', featureLevel: 0 },
      ]),
    );
    expect(image.configs(ConfigResourceType.Topic, 'orders').size).toBe(0);
    expect(image.features.size).toBe(0);
  });

  it('a delta reads its own changes before apply, and keeps going after it', () => {
    const delta = new MetadataDelta(MetadataImage.empty);
    for (const r of history()) delta.replay(r);
    expect(delta.topic('orders')!.partitions[0]!.leader).toBe(2);
    const first = delta.apply(100);
    delta.replay({ apiKey: ApiKey.PartitionChange, topicId: t1, partitionId: 0, leader: 3 });
    const second = delta.apply(101);
    expect(first.topic('orders')!.partitions[0]!.leader).toBe(2);
    expect(second.topic('orders')!.partitions[0]!.leader).toBe(3);
    expect(second.offset).toBe(101);
  });

  it('fails an assertion on a record that does not fit the image', () => {
    const image = replayRecords(withOffsets(history()));
    const misfits: MetadataRecord[] = [
      { apiKey: ApiKey.PartitionChange, topicId: randomUuid(rng), partitionId: 0, leader: 1 },
      { apiKey: ApiKey.PartitionChange, topicId: t1, partitionId: 9, leader: 1 },
      partition(t1, 5, [1]), // a gap after partition 1
      { apiKey: ApiKey.Topic, name: 'orders', topicId: randomUuid(rng) },
      { apiKey: ApiKey.FenceBroker, brokerId: 2, brokerEpoch: 99 },
      { apiKey: ApiKey.UnfenceBroker, brokerId: 7, brokerEpoch: 7 },
      { apiKey: ApiKey.RemoveTopic, topicId: randomUuid(rng) },
      { apiKey: ApiKey.ProducerIds, brokerId: 1, brokerEpoch: 1, nextProducerId: 10 },
    ];
    for (const r of misfits) expect(() => image.apply(r, 1000), JSON.stringify(r)).toThrow(AssertionError);
    expect(() => image.apply({ apiKey: ApiKey.NoOp }, 3)).toThrow(AssertionError); // offset going back
  });
});

describe('snapshot and restore', () => {
  it('restore(snapshot(image)) equals the image replay built', () => {
    const image = replayRecords(withOffsets(history(), 10));
    const restored = restore(snapshot(image), image.offset);
    expect(imageDifference(restored, image)).toBeUndefined();
    expect(restored.equals(image)).toBe(true);
    // The snapshot is the same records again: replaying them gives the same image.
    const replayed = replayRecords([...snapshotRecords(image)].map((record, i) => ({ record, offset: i })));
    expect(imageDifference(restore(snapshot(replayed), image.offset), image)).toBeUndefined();
  });

  it('splits a large snapshot into chunks of about chunkBytesMax', () => {
    const records: MetadataRecord[] = [register(1, 0), { apiKey: ApiKey.Topic, name: 't', topicId: t1 }];
    for (let p = 0; p < 500; p++) records.push(partition(t1, p, [1]));
    const image = replayRecords(withOffsets(records));
    const chunks = snapshot(image, 1000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeLessThan(1100);
    expect(restore(chunks, image.offset).equals(image)).toBe(true);
    expect(snapshot(MetadataImage.empty)).toEqual([]);
    expect(restore([], -1).equals(MetadataImage.empty)).toBe(true);
  });

  it('a corrupt chunk is CORRUPT_MESSAGE', () => {
    const chunks = snapshot(replayRecords(withOffsets(history())));
    const bad = chunks[0]!.slice();
    bad[2] = 99; // the first record's apiKey
    let thrown: unknown;
    try {
      restore([bad], 0);
    } catch (err) {
      thrown = err;
    }
    expect(isTributaryError(thrown, 'CORRUPT_MESSAGE')).toBe(true);
  });

  it('images that differ are not equal, and the difference is named', () => {
    const a = replayRecords(withOffsets(history()));
    const b = a.apply({ apiKey: ApiKey.PartitionChange, topicId: t1, partitionId: 1, isr: [2] }, a.offset + 1);
    const c = replayRecords(withOffsets(history())).apply({ apiKey: ApiKey.NoOp }, a.offset + 1);
    expect(imageDifference(b, c)).toMatch(/orders-1: isr/);
    expect(b.equals(c)).toBe(false);
  });
});

describe('structural sharing', () => {
  it('applying one record to an image of 100,000 partitions copies one topic, not the image', () => {
    const records: MetadataRecord[] = [register(1, 0), register(2, 1), register(3, 2)];
    const ids: string[] = [];
    for (let t = 0; t < 10_000; t++) {
      const topicId = randomUuid(rng);
      ids.push(topicId);
      records.push({ apiKey: ApiKey.Topic, name: `topic-${t}`, topicId });
      for (let p = 0; p < 10; p++) records.push(partition(topicId, p, [1 + ((t + p) % 3), 1 + ((t + p + 1) % 3)]));
    }
    const image = replayRecords(withOffsets(records));
    expect(image.partitionCount).toBe(100_000);
    const target = ids[1234]!;
    const next = image.apply({ apiKey: ApiKey.PartitionChange, topicId: target, partitionId: 3, isr: [1] }, image.offset + 1);
    // Every other topic object is shared between the two images...
    let shared = 0;
    image.forEachTopic((t) => {
      if (next.topicById(t.id) === t) shared++;
    });
    expect(shared).toBe(9_999);
    // ...and within the changed topic, every other partition object is shared too.
    const before = image.topicById(target)!;
    const after = next.topicById(target)!;
    expect(after).not.toBe(before);
    for (let p = 0; p < 10; p++) {
      if (p === 3) expect(after.partitions[p]).not.toBe(before.partitions[p]);
      else expect(after.partitions[p]).toBe(before.partitions[p]);
    }
    expect(before.partitions[3]!.isr).not.toEqual([1]);
    expect(after.partitions[3]!.isr).toEqual([1]);
  });
});
