/**
 * Topics created on first use (issue 9.12): Kafka's `auto.create.topics.enable`, in the
 * broker's Metadata handling, for Metadata requests that allow it (the producer's);
 * `createTopics({ ifNotExists })`; and the one name of `auto.offset.reset` (9.11).
 */
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { Cluster } from '../../src/index.js';
import { waitFor } from '../../src/testing.js';
import { useSimulatedClock } from '../helpers/sim-clock.js';

// On simulated time: request timeouts, maxBlockMs, the background creation and the
// controlled shutdowns in the clock's time.
const { clock } = useSimulatedClock();

const typed = (code: string) => expect.objectContaining({ name: 'TributaryError', code });

describe('topics created on first use', () => {
  it("a producer's send to a missing topic creates it with num.partitions and default.replication.factor", async () => {
    await using cluster = await Cluster.start({ nodes: 3, defaultPartitions: 4, defaultReplicationFactor: 2, clock });
    const producer = cluster.producer({ maxBlockMs: 20_000 });
    const [meta] = await producer.send('fresh', [{ key: 'k', value: 'a' }]);
    expect(meta!.offset).toBe(0);
    const [t] = await cluster.admin().describeTopics(['fresh']);
    expect(t!.partitions).toHaveLength(4);
    for (const p of t!.partitions) expect(p.replicas).toHaveLength(2);
    // Many producers asking at once create it once (the others find it).
    await Promise.all(Array.from({ length: 5 }, (_, i) => cluster.producer().send('burst', { value: String(i) })));
    const [burst] = await cluster.admin().describeTopics(['burst']);
    expect(burst!.partitions).toHaveLength(4);
  });

  it('is off with autoCreateTopics: false: the send fails UNKNOWN_TOPIC_OR_PARTITION after maxBlockMs', async () => {
    await using cluster = await Cluster.start({ autoCreateTopics: false, clock });
    const err = await cluster.producer({ maxBlockMs: 300 }).send('missing', { value: 'a' }).catch((e: unknown) => e);
    expect(err).toEqual(typed('UNKNOWN_TOPIC_OR_PARTITION'));
    // The message says what to do.
    expect((err as Error).message).toMatch(/topic "missing" not present in metadata after \d+ ms: check its name, or create it first \(admin\(\)\.createTopics\)/);
    expect(await cluster.admin().listTopics()).not.toContain('missing');
  });

  it('happens only for Metadata requests that allow it: admin and consumers do not create topics', async () => {
    await using cluster = await Cluster.start({ clock });
    const admin = cluster.admin({ requestTimeoutMs: 300 });
    await expect(admin.describeTopics(['by-admin'])).rejects.toEqual(typed('UNKNOWN_TOPIC_OR_PARTITION'));
    await expect(cluster.consumer({ requestTimeoutMs: 300 }).partitionsFor('by-consumer')).rejects.toEqual(typed('UNKNOWN_TOPIC_OR_PARTITION'));
    expect(await cluster.admin().listTopics()).toEqual([]);
    // A consumer that asks for it (allow.auto.create.topics) does.
    await expect(cluster.consumer({ allowAutoCreateTopics: true }).partitionsFor('by-consumer')).resolves.toEqual([0]);
    // The mechanism is the broker's, as Kafka's: a raw Metadata request with the flag creates the topic.
    const r = await cluster.transport.send(1, { apiKey: ApiKey.Metadata, topics: [{ name: 'by-wire' }], allowAutoTopicCreation: true });
    expect(r.topics[0]!.errorCode).toBe('LEADER_NOT_AVAILABLE');
    // Created in the background, as Kafka does: the client asks again and finds it.
    await waitFor(async () => (await cluster.admin().listTopics()).includes('by-wire'), { clock, timeoutMs: 20_000 });
  });

  it('never creates internal topics or invalid names, and reports a creation the controller refuses', async () => {
    await using cluster = await Cluster.start({ nodes: 3, clock });
    const send = (topic: string) => cluster.transport.send(1, { apiKey: ApiKey.Metadata, topics: [{ name: topic }], allowAutoTopicCreation: true });
    expect((await send('__consumer_offsets')).topics[0]!.errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    // Two nodes down: three replicas (the default here) cannot be placed; the producer hears why.
    await cluster.stopNode(3);
    await cluster.stopNode(2);
    const err = await cluster.producer({ maxBlockMs: 20_000 }).send('needs-three', { value: 'a' }).catch((e: unknown) => e);
    expect(err).toEqual(typed('INVALID_REPLICATION_FACTOR'));
  });
});

describe('createTopics of an existing topic', () => {
  it('refuses it with TOPIC_ALREADY_EXISTS, or leaves it as it is with ifNotExists', async () => {
    await using cluster = await Cluster.start({ clock });
    const admin = cluster.admin();
    await admin.createTopics([{ name: 'orders', partitions: 2 }]);
    await expect(admin.createTopics([{ name: 'orders' }])).rejects.toEqual(typed('TOPIC_ALREADY_EXISTS'));
    await admin.createTopics([{ name: 'orders', partitions: 5 }, { name: 'more' }], { ifNotExists: true });
    const [orders, more] = await admin.describeTopics(['orders', 'more']);
    expect(orders!.partitions).toHaveLength(2);
    expect(more!.partitions).toHaveLength(1);
    // Other errors are still errors.
    await expect(admin.createTopics([{ name: 'bad', partitions: 2, configs: { 'no.such': '1' } }], { ifNotExists: true })).rejects.toEqual(typed('INVALID_CONFIG'));
  });
});

describe('auto.offset.reset has one name', () => {
  it("a group takes autoOffsetReset as a consumer does; from still works; both must agree", async () => {
    await using cluster = await Cluster.start({ clock });
    await cluster.producer().send('events', [{ value: 'a' }, { value: 'b' }]);
    for (const options of [{ autoOffsetReset: 'earliest' as const }, { from: 'earliest' as const }]) {
      const group = cluster.consumerGroup({ groupId: `g-${Object.keys(options)[0]}`, topics: ['events'], ...options });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        group.run({ eachRecord: (r) => void (seen.push(Buffer.from(r.value!).toString()), seen.length === 2 && resolve()) }).catch(reject);
      });
      expect(seen).toEqual(['a', 'b']);
      await group.close();
    }
    expect(() => cluster.consumerGroup({ groupId: 'g', topics: ['events'], autoOffsetReset: 'earliest', from: 'latest' })).toThrowError(typed('INVALID_CONFIG'));
  });
});
