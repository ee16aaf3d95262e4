/**
 * A KafkaJS group member in a process of its own, for the wire tests that SIGKILL it: argv
 * `brokers groupId topic sessionTimeoutMs clientId`. Prints one JSON line per event on
 * stdout: `{"joined":{topic:[partitions]}}` after each rebalance, `{"record":"p:offset"}`
 * per record. It never leaves on its own: the parent kills it.
 */
import { Kafka, logLevel } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const [brokers, groupId, topic, sessionTimeout, clientId] = process.argv.slice(2) as [string, string, string, string, string];
const kafka = new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING, connectionTimeout: 30_000, requestTimeout: 60_000, retry: { retries: 12, initialRetryTime: 200, maxRetryTime: 5_000 } });
const consumer = kafka.consumer({ groupId, sessionTimeout: Number(sessionTimeout), heartbeatInterval: 200, maxWaitTimeInMs: 200 });
const say = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
consumer.on(consumer.events.GROUP_JOIN, (e) => say({ joined: e.payload.memberAssignment }));
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({ eachMessage: async ({ partition, message }) => say({ record: `${partition}:${message.offset}` }) });
