import { describe, expect, it } from 'vitest';
import { MetadataImage } from '../metadata/image.js';
import { ApiKey, type MetadataRecord } from '../metadata/records.js';
import { randomUuid } from '../metadata/uuid.js';
import { Rng } from '../util/rng.js';
import { DeletedTopics } from './deleted-topics.js';

const rng = new Rng(7);

describe('DeletedTopics', () => {
  it('names the topics an image lost since the last one, a topic created again under its name included, and nothing else', () => {
    let offset = 0;
    let image = MetadataImage.empty;
    const apply = (...records: MetadataRecord[]): MetadataImage => {
      for (const r of records) image = image.apply(r, offset++);
      return image;
    };
    const topic = (name: string): MetadataRecord => ({ apiKey: ApiKey.Topic, name, topicId: randomUuid(rng) });
    const tracker = new DeletedTopics();

    expect([...tracker.since(apply(topic('orders'), topic('audit'), topic('logs')))]).toEqual([]); // the first image is the baseline
    expect([...tracker.since(apply({ apiKey: ApiKey.NoOp }))]).toEqual([]);
    const orders = image.topicIdOf('orders')!;
    const logs = image.topicIdOf('logs')!;
    // orders deleted; logs deleted and created again between two images the tracker sees.
    expect([...tracker.since(apply({ apiKey: ApiKey.RemoveTopic, topicId: orders }, { apiKey: ApiKey.RemoveTopic, topicId: logs }, topic('logs'), topic('new')))].sort()).toEqual(['logs', 'orders']);
    expect([...tracker.since(image)]).toEqual([]);
    expect([...tracker.since(apply({ apiKey: ApiKey.NoOp }))]).toEqual([]);
  });
});
