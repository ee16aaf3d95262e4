/**
 * `npm run bench [-- --only storage|stall|...] [-- --save]`: runs every benchmark section and prints
 * one Markdown report; with `--save` also writes it to bench/results/<date>.md. Each
 * figure stands beside a baseline measured in the same run, because these machines are
 * shared and noisy: compare ratios, not absolute numbers across runs.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { clusterBench } from './cluster.js';
import { groupsBench } from './groups.js';
import { metadataBench } from './metadata.js';
import { partitionsBench } from './partitions-section.js';
import { remoteBench } from './remote.js';
import { reopenBench } from './reopen.js';
import { stallBench } from './stall.js';
import { storageBench } from './storage.js';
import { wireBench } from './wire.js';
import { workersBench } from './workers.js';

const { values } = parseArgs({ options: { only: { type: 'string' }, save: { type: 'boolean', default: false } } });
const sections: Record<string, () => Promise<string>> = { storage: storageBench, metadata: metadataBench, cluster: clusterBench, groups: groupsBench, wire: wireBench, remote: () => remoteBench(), workers: workersBench, partitions: partitionsBench, stall: () => stallBench(), reopen: () => reopenBench() };
const date = new Date().toISOString().slice(0, 10);
let out = `# Tributary benchmarks, ${date}\n\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB.\n\n`;
for (const [name, run] of Object.entries(sections)) {
  if (values.only && values.only !== name) continue;
  process.stderr.write(`running ${name}...\n`);
  out += `${await run()}\n`;
}
console.log(out);
if (values.save) {
  const file = new URL(`./results/${date}.md`, import.meta.url);
  writeFileSync(file, out);
  console.error(`saved to bench/results/${date}.md`);
}
