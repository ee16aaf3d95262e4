/**
 * Requests a 1,000 records by API, the RF 3 workers case (`rf3:*`): `npx tsx bench/rounds-count.ts <inline|per-node>`
 * (`IN_FLIGHT=<n>` calls in flight, default 4, as the case).
 * 3,000 calls of warm-up, then 1,000 calls between two `readMetrics()` (the nodes' request counts, `requestLatencyMs[api].count`),
 * and what each Produce request and replica Fetch carried: records a request (every record is fetched by two followers;
 * no consumer runs, so every Fetch is a replica's).
 */
import { Cluster } from '../src/index.js';

const threads = (process.argv[2] ?? 'per-node') as 'inline' | 'per-node';
const cluster = await Cluster.start({ nodes: 3, threads });
await cluster.admin().createTopics([{ name: 'bench', partitions: 3, replicationFactor: 3 }]);
const producer = cluster.producer({ lingerMs: 0, acks: 'all' });
const value = new Uint8Array(100).fill(7);
const records = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 64}`, value }));
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 4);
async function drive(calls: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next++ < calls) await producer.send('bench', records);
  }));
}
await drive(3000);
const before = (await cluster.readMetrics()).requestLatencyMs;
await drive(1000);
const after = (await cluster.readMetrics()).requestLatencyMs;
const out: Record<string, string> = {};
for (const [api, s] of Object.entries(after)) out[api] = ((s.count - (before[api]?.count ?? 0)) / 1000).toFixed(2);
console.log(threads, `in flight ${IN_FLIGHT}, requests a 1,000 records:`, JSON.stringify(out), `records a Produce request ${(1000 / Number(out['Produce'])).toFixed(0)}, a replica Fetch ${(2000 / Number(out['Fetch'])).toFixed(0)}`);
await producer.close();
await cluster.close();
