/**
 * KafkaJS's half of the wire benchmark, in its own process so that the cluster's process
 * CPU is the broker's alone: `tsx bench/wire-kafkajs.ts <bootstrap> <topic> <records>`.
 * Produces `records` 100-byte records (calls of 1,000, 32 in flight, acks=1), then reads
 * them back with a consumer group from the beginning; prints one JSON line with the wall
 * time of each half (the consume half counts from `run()` to the last record, the group
 * join included).
 */
import { Kafka, logLevel } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const [bootstrap, topic, recordsText] = process.argv.slice(2) as [string, string, string];
const records = Number(recordsText);
const kafka = new Kafka({ clientId: 'bench', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, requestTimeout: 60_000 });
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const value = Buffer.alloc(100, 0x61);
const messages = Array.from({ length: 1000 }, () => ({ value }));
let next = 0;
let t0 = performance.now();
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < records) {
      next += 1000;
      await producer.send({ topic, acks: 1, messages });
    }
  }),
);
const produceMs = performance.now() - t0;
await producer.disconnect();

const consumer = kafka.consumer({ groupId: 'bench', maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 64 * 1024 * 1024, maxWaitTimeInMs: 100 });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
let consumed = 0;
t0 = performance.now();
const finished = new Promise<void>((resolve) => {
  void consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      consumed += batch.messages.length;
      if (consumed >= records) resolve();
    },
  });
});
await finished;
const consumeMs = performance.now() - t0;
await consumer.disconnect();
process.stdout.write(`${JSON.stringify({ produceMs, consumeMs, consumed })}\n`);
