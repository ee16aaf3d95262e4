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
    return `## Partitions on one node\n\n${targets}\n\n${readFileSync(out, 'utf8')}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
