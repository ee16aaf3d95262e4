/**
 * The partitions section of `npm run bench` (issue 13): `bench/partitions.ts` in a child
 * process (it measures its own process's descriptors, heap and CPU), rows 1, 100, 1,000
 * and 10,000 partitions by default (`TRIBUTARY_PARTITION_ROWS="1 100 1000 10000 100000"`
 * for more), its markdown table returned (run `bench/partitions.ts --out file.md` for the SVG plot).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function partitionsBench(): Promise<string> {
  const rows = (process.env.TRIBUTARY_PARTITION_ROWS ?? '1 100 1000 10000').split(/\s+/).filter((r) => r !== '');
  const dir = mkdtempSync(join(tmpdir(), 'tributary-partitions-bench-'));
  try {
    const out = join(dir, 'partitions.md');
    const script = fileURLToPath(new URL('./partitions.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, '--out', out, ...rows], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (run.status !== 0) throw new Error(`bench/partitions.ts exited ${String(run.status)}`);
    const targets = 'Targets (issue 13): 10,000 partitions ready in under 2 s; keyed produce over 10,000 partitions at least 0.5 of one partition\'s rate; a clean restart of 10,000 (`Cluster.start` plus ready after restart) in under 2 s.';
    const ceiling = 'The keyed rows have a ceiling beside them (the second table, bench/keyed-ceiling.ts): the same batches the keyed phase\'s broker wrote (as many, the same sizes, over as many files), written again with nothing else to do, as the broker writes them (write-behind) and as a plain `writeSync` loop, in the same run. A broker must write each batch to its partition\'s file before it answers acks=1, so no keyed rate can pass these writes\' rate: "ceiling for keyed/1" is the most the 0.5 target\'s ratio can be on this machine.';
    return `## Partitions on one node\n\n${targets}\n\n${ceiling}\n\n${readFileSync(out, 'utf8')}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
