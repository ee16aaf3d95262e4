/**
 * The errors a new user meets in a first hour, through the public API: each is a
 * `TributaryError` with the code a Kafka user expects, and its message says what to do.
 * The waits (a producer's `maxBlockMs` for a missing topic) run on a simulated clock.
 */
import { describe, expect, it } from 'vitest';
import { Cluster, serdes, TributaryError } from '../src/index.js';
import { driveClock, SimulatedTimerClock } from '../src/testing.js';

/** The error `promise` rejects with; fails the test when it resolves. */
async function failure(promise: Promise<unknown>): Promise<TributaryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TributaryError);
  return err as TributaryError;
}

describe("a new user's first errors", () => {
  it('a topic that does not exist: without auto-create, UNKNOWN_TOPIC_OR_PARTITION after maxBlockMs, naming createTopics and autoCreateTopics; with it, the send creates the topic', async () => {
    const clock = new SimulatedTimerClock(Date.now());
    const driver = driveClock(clock);
    try {
      await using cluster = await Cluster.start({ clock, autoCreateTopics: false });
      const err = await failure(cluster.topic('missing', { key: serdes.string, value: serdes.string }).send({ value: 'x' }));
      expect(err.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      expect(err.message).toMatch(/topic "missing" not present in metadata after 6\d{4} ms: check its name, or create it first \(admin\(\)\.createTopics\).*autoCreateTopics/);
      expect(await cluster.admin().listTopics()).not.toContain('missing');
    } finally {
      await driver.stop();
    }
    await using auto = await Cluster.start({ defaultPartitions: 3 });
    const [sent] = await auto.producer().send('made-by-send', [{ value: 'x' }]);
    expect(sent!.offset).toBe(0);
    expect((await auto.admin().describeTopics(['made-by-send']))[0]!.partitions).toHaveLength(3);
  }, 120_000);

  it("a simulated clock with the nodes in workers: INVALID_CONFIG, as the README says (it runs only with the nodes inline)", async () => {
    for (const threads of ['worker', 'per-node'] as const) {
      const err = await failure(Cluster.start({ threads, clock: new SimulatedTimerClock(0) }));
      expect(err.code).toBe('INVALID_CONFIG');
      expect(err.message).toMatch(new RegExp(`clock is not supported with threads: '${threads}'`));
    }
  });

  it('a client of a closed cluster: CLIENT_CLOSED, for clients made before and after the close', async () => {
    const cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 't' }]);
    const consumer = cluster.consumer();
    await cluster.close();
    const before = await failure((async () => {
      consumer.assign([{ topic: 't', partition: 0 }]);
      for await (const r of consumer) return r;
    })());
    expect(before.code).toBe('CLIENT_CLOSED');
    expect(before.message).toMatch(/the cluster was closed/);
    const after = await failure((async () => {
      for await (const r of cluster.topic('t', { key: serdes.string, value: serdes.string }).consume({ from: 'earliest' })) return r;
    })());
    expect(after.code).toBe('CLIENT_CLOSED');
  }, 60_000);

  it('a value too large: MESSAGE_TOO_LARGE naming the limit and what to raise (maxRequestSize, max.message.bytes) or to send smaller records', async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'big' }]);
    const err = await failure(cluster.topic('big', { key: serdes.string, value: serdes.bytes }).send({ value: new Uint8Array(2_000_000) }));
    expect(err.code).toBe('MESSAGE_TOO_LARGE');
    expect(err.message).toMatch(/2000\d{3} bytes .* maxRequestSize \(1048576\).*raise the producer's maxRequestSize \(max\.request\.size\) and the topic's max\.message\.bytes, or send smaller records/);
  }, 60_000);

  it("a wrong serde: INVALID_RECORD on the way in, CORRUPT_MESSAGE on the way out, each naming the topic and the record", async () => {
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'plain' }]);
    const asText = cluster.topic('plain', { key: serdes.string, value: serdes.string });
    const wrongIn = await failure(asText.send({ value: 42 as unknown as string }));
    expect(wrongIn.code).toBe('INVALID_RECORD');
    expect(wrongIn.message).toMatch(/topic "plain": cannot serialize the value of record 0: the string serde takes a string, got number/);
    await asText.send({ value: 'not json {' });
    const wrongOut = await failure((async () => {
      for await (const r of cluster.topic('plain', { key: serdes.string, value: serdes.json() }).consume({ from: 'earliest' })) return r;
    })());
    expect(wrongOut.code).toBe('CORRUPT_MESSAGE');
    expect(wrongOut.message).toMatch(/topic "plain": cannot deserialize the value at plain-0@0: value is not valid UTF-8 JSON/);
    expect([wrongOut.topic, wrongOut.partition]).toEqual(['plain', 0]);
    // A consumer group with serdes says the same.
    const group = cluster.consumerGroup({ groupId: 'first-hour', topics: ['plain'], autoOffsetReset: 'earliest', value: serdes.json() });
    try {
      const inGroup = await failure((async () => {
        for await (const r of group) return r;
      })());
      expect(inGroup.code).toBe('CORRUPT_MESSAGE');
      expect(inGroup.message).toMatch(/topic "plain": cannot deserialize the value at plain-0@0: value is not valid UTF-8 JSON/);
      expect([inGroup.topic, inGroup.partition]).toEqual(['plain', 0]);
    } finally {
      await group.close();
    }
  }, 60_000);
});
