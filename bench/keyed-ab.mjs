// node /tmp/ab-inproc.mjs <dirA> <dirB> <rounds> : both builds' clusters in one process, rounds alternate A,B,B,A,...
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
const [dirA, dirB] = [process.argv[2], process.argv[3]];
const rounds = Number(process.argv[4] ?? 6);
const partitions = Number(process.argv[5] ?? 10_000);
function mainThreadCpuUs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}
let batches = 0;
subscribe('tributary:produce', () => void batches++);
const sides = [];
for (const [name, dir] of [['A', dirA], ['B', dirB]]) {
  const { Cluster } = await import(join(dir, 'src/index.js'));
  const dataDir = mkdtempSync(join(tmpdir(), `tributary-ab-${name}-`));
  const cluster = await Cluster.start({ nodes: 1, dataDir });
  await cluster.admin().createTopics([{ name: 'bench', partitions: Math.min(partitions, 9999) }]);
  if (partitions > 9999) await cluster.admin().createPartitions('bench', partitions);
  const warm = cluster.producer({ lingerMs: 5 });
  for (let from = 0; from < partitions; from += 2000) await Promise.all(Array.from({ length: Math.min(2000, partitions - from) }, (_, i) => warm.send('bench', [{ partition: from + i, value: 'v' }])));
  await warm.close();
  sides.push({ name, dir, cluster, dataDir, results: [] });
}
const value = 'x'.repeat(100);
async function round(side, r) {
  batches = 0;
  const producer = side.cluster.producer({ acks: 1, lingerMs: 1 });
  const m0 = mainThreadCpuUs(); const c0 = process.cpuUsage(); const t0 = performance.now();
  const calls = [];
  for (let i = 0; i < 200_000; i += 1000) {
    calls.push(producer.send('bench', Array.from({ length: 1000 }, (_, j) => ({ key: `key-${side.name}-${r}-${i + j}`, value }))));
    if (calls.length >= 8) await calls.shift();
  }
  await Promise.all(calls);
  const ms = performance.now() - t0; const u = process.cpuUsage(c0); const mainUs = mainThreadCpuUs() - m0;
  await producer.close();
  const res = { loop: mainUs / batches, proc: (u.user + u.system) / batches, rate: 200_000 / (ms / 1000), perBatch: 200_000 / batches, load: loadavg()[0] };
  side.results.push(res);
  console.log(`${side.name} round ${r}: ${Math.round(res.rate)} rec/s, ${res.perBatch.toFixed(2)} rec a batch, process ${res.proc.toFixed(2)} us, event loop ${res.loop.toFixed(2)} us a batch (${(res.loop / res.perBatch).toFixed(3)} us a record), load ${res.load.toFixed(1)}`);
}
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  for (const k of order) await round(sides[k], r);
}
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
for (const s of sides) console.log(`${s.name} (${s.dir}): event loop median ${med(s.results.map((x) => x.loop)).toFixed(2)} us a batch (min ${Math.min(...s.results.map((x) => x.loop)).toFixed(2)}), process median ${med(s.results.map((x) => x.proc)).toFixed(2)}, rate median ${Math.round(med(s.results.map((x) => x.rate)))}`);
for (const s of sides) { await s.cluster.close(); rmSync(s.dataDir, { recursive: true, force: true }); }
