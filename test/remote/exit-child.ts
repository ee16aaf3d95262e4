/**
 * A process that uses `connect()` and closes it must exit by itself: nothing (socket,
 * timer) may keep its event loop alive. Started by exit.test.ts with the bootstrap servers.
 */
import { connect } from '../../src/index.js';

const bootstrapServers = process.argv[2]!;
const cluster = connect({ bootstrapServers });
await cluster.admin().createTopics([{ name: 'exit' }]).catch(() => undefined);
const producer = cluster.producer({ acks: 'all' });
await producer.send('exit', [{ value: 'bye' }]);
const group = cluster.consumerGroup({ groupId: 'exit', topics: ['exit'], autoOffsetReset: 'earliest' });
for await (const _ of group) break;
const consumer = cluster.consumer();
consumer.assign([{ topic: 'exit', partition: 0 }]);
await consumer.seek({ topic: 'exit', partition: 0 }, 'earliest');
for await (const _ of consumer) break;
await cluster.close();
process.stdout.write('closed\n');
