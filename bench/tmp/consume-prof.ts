import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { Cluster } from '../../src/cluster.js';
const topic = 'bench';
const records = Number(process.argv[2] ?? 1_000_000);
const cluster = await Cluster.start({ nodes: 1 });
await cluster.admin().createTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
const producer = cluster.producer({ acks: 1, lingerMs: 1, batchSize: 512 * 1024, bufferMemory: 64 * 1024 * 1024 });
const value = Buffer.alloc(100, 0x62);
const call = Array.from({ length: 1000 }, () => ({ value }));
let next = 0;
await Promise.all(Array.from({ length: 32 }, async () => { while (next < records) { next += 1000; await producer.sendBatch(topic, call); } }));
await producer.close();
const session = new Session(); session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
for (let pass = 0; pass < 3; pass++) {
  const consumer = cluster.consumer({ maxWaitMs: 500 });
  consumer.assign([{ topic, partition: 0 }]);
  await consumer.seek({ topic, partition: 0 }, 'earliest');
  let read = 0;
  for await (const batch of consumer.batches()) { read += batch.records.length; for (const r of batch.records) void r.value!.byteLength; if (read >= records) break; }
  await consumer.close();
}
const cpu = process.cpuUsage(cpu0);
const { profile } = await session.post('Profiler.stop');
writeFileSync(process.argv[3] ?? '/tmp/fast/consume.cpuprofile', JSON.stringify(profile));
console.log('cpu ns/rec', ((cpu.user + cpu.system) * 1000) / (3 * records), 'user', (cpu.user * 1000) / (3 * records));
await cluster.close();
