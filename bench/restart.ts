/**
 * `npx tsx bench/restart.ts [rounds]`: how long `Cluster.start` takes on 1 and 3 nodes
 *
 * - fresh: an empty data folder;
 * - clean restart: the same folder after `close()` (10,000 records in a topic);
 * - crash restart: the same folder after the process that held it was SIGKILLed.
 *
 * Each figure is the median of `rounds` (default 5), each start in this process; the
 * crash is a child process that starts the cluster, produces, and kills itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../src/index.js';

const self = fileURLToPath(import.meta.url);

async function fill(cluster: Cluster): Promise<void> {
  const admin = cluster.admin();
  const [t] = await admin.describeTopics(['bench']).catch(() => [undefined]);
  if (t === undefined) await admin.createTopics([{ name: 'bench', partitions: 3 }]);
  const producer = cluster.producer({ lingerMs: 1 });
  const records = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(100) }));
  for (let i = 0; i < 10; i++) await producer.send('bench', records);
  await producer.close();
}

if (process.argv[2] === '--crash-child') {
  const cluster = await Cluster.start({ nodes: Number(process.argv[3]), dataDir: process.argv[4]! });
  await fill(cluster);
  process.kill(process.pid, 'SIGKILL');
}

async function timed(fn: () => Promise<Cluster>): Promise<{ ms: number; cluster: Cluster }> {
  const t0 = performance.now();
  const cluster = await fn();
  return { ms: performance.now() - t0, cluster };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rounds = Number(process.argv[2] ?? 5);
const rows: string[] = [];
for (const nodes of [1, 3]) {
  const fresh: number[] = [];
  const clean: number[] = [];
  const crash: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-restart-'));
    try {
      const a = await timed(() => Cluster.start({ nodes, dataDir }));
      fresh.push(a.ms);
      await fill(a.cluster);
      await a.cluster.close();
      const b = await timed(() => Cluster.start({ nodes, dataDir }));
      clean.push(b.ms);
      await b.cluster.close();
      const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--crash-child', String(nodes), dataDir], { stdio: 'inherit' });
      if (child.signal !== 'SIGKILL') throw new Error(`the crash child ended with ${child.status ?? child.signal}`);
      const c = await timed(() => Cluster.start({ nodes, dataDir }));
      crash.push(c.ms);
      await c.cluster.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const f = (xs: number[]): string => `${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;
  rows.push(`| ${nodes} | ${f(fresh)} | ${f(clean)} | ${f(crash)} |`);
}
console.log(`Cluster.start, median of ${rounds} (each run in brackets); brokerSessionTimeoutMs 2000\n`);
console.log('| nodes | fresh start | clean restart | crash restart |\n| --- | --- | --- | --- |');
for (const r of rows) console.log(r);
