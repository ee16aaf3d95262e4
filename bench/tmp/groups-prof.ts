import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { Cluster } from '../../src/cluster.js';
const records = Number(process.argv[2] ?? 300_000);
import { mkdtempSync } from 'node:fs';
import { readLogsDirectly } from '../read-ceiling.js';
const dataDir = mkdtempSync('/tmp/gp-');
const cluster = await Cluster.start({ dataDir });
await cluster.admin().createTopics([{ name: 'events', partitions: 12 }]);
const producer = cluster.producer({ acks: 1, lingerMs: 1, batchSize: 256 * 1024 });
const value = Buffer.alloc(100, 120);
const sends: Promise<unknown>[] = [];
for (let i = 0; i < records; i += 1000) {
  sends.push(producer.sendBatch('events', Array.from({ length: 1000 }, (_, j) => ({ key: `k${(i + j) % 997}`, value }))));
  if (sends.length >= 32) await sends.shift();
}
await Promise.all(sends);
await producer.close();
const session = new Session(); session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
const passes = 6;
for (let pass = 0; pass < passes; pass++) {
  const pc = process.cpuUsage();
  const bare = cluster.consumer({ maxWaitMs: 500 });
  const tps = Array.from({ length: 12 }, (_, partition) => ({ topic: 'events', partition }));
  bare.assign(tps);
  for (const tp of tps) await bare.seek(tp, 'earliest');
  let read = 0; let chunks = 0;
  for await (const batch of bare.batches()) { read += batch.records.length; chunks++; if (read >= records) break; }
  await bare.close();
  const c = process.cpuUsage(pc); console.log('pass', pass, 'chunks', chunks, 'ns/rec', ((c.user + c.system) * 1000 / read).toFixed(0));
}
const cpu = process.cpuUsage(cpu0);
const { profile } = await session.post('Profiler.stop');
writeFileSync(process.argv[3] ?? '/tmp/fast/groups.cpuprofile', JSON.stringify(profile));
console.log('cpu ns/rec', ((cpu.user + cpu.system) * 1000) / (passes * records), 'user', (cpu.user * 1000) / (passes * records));
await cluster.close();
await session.post('Profiler.start');
for (let i = 0; i < 3; i++) console.log('direct', await readLogsDirectly(dataDir, 'events', 12, 2));
const { profile: p2 } = await session.post('Profiler.stop');
writeFileSync('/tmp/fast/direct.cpuprofile', JSON.stringify(p2));
