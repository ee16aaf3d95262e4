/**
 * `npx tsx bench/file-creation.ts [N=10000] [--fsyncs] [--ways 'sync 3,async 3 @4,...']`: what this machine's file system
 * can do for the creations a new partition's first record needs (issue 13, "10,000
 * partitions ready in under 2 s"). N times, in a fresh folder beside the data
 * (`os.tmpdir()`), each way below; wall time, CPU time of this process (user + system) and
 * the 1-minute load average beside each figure:
 *
 * - `sync 3`: `mkdirSync` of the partition folder, `writeFileSync` of a small
 *   `partition.metadata`, `openSync(w+)` + `closeSync` of an empty segment file: what the
 *   broker did on the main thread before this change;
 * - `async 3 @C`: the same three through `fs/promises` (libuv's thread pool), C partitions
 *   at a time, each partition's three in order (C = 4, 8, 16, 64). The thread pool has
 *   `UV_THREADPOOL_SIZE` threads (default 4): a concurrency above it only queues;
 * - `sync 2` / `async 2 @C`: without `partition.metadata` (written lazily elsewhere);
 * - `sync 1`: the folder alone;
 * - `sync 2 after rm`: N folders with a file created and removed (not timed), then `sync 2`
 *   timed at once: what a removal does to the creations that follow it. On ext4 without a
 *   journal (this machine's disk) each new inode skips, one lookup each, the inodes freed
 *   in the last 60 to 360 s (the kernel's `recently_deleted`), so this costs several times
 *   `sync 2` (bench/results/2026-12-07g-ready.md); on a journalled ext4 about the same.
 *
 * `--fsyncs`: a child process runs a write + fdatasync loop on a file beside the folder
 * for the whole run (as the Raft metadata log, other partitions' flushes and the other
 * users of a shared disk do), to see how creations fare beside fsyncs.
 */
import { fork } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

if (process.argv[2] === '--fsync-child') {
  const fd = openSync(process.argv[3]!, 'w');
  const block = Buffer.alloc(4096, 7);
  for (let i = 0; ; i++) {
    writeSync(fd, block, 0, block.length, (i % 256) * 4096);
    fdatasyncSync(fd);
  }
}

const args = process.argv.slice(2);
const withFsyncs = args.includes('--fsyncs');
/** `--keep`: remove the runs' folders only at the end (a removal of 30,000 entries slows the next creations: see the results file). */
const keep = args.includes('--keep');
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const metadata = 'version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n';
const segment = '00000000000000000000.log';

type Way = (root: string) => Promise<void> | void;

function syncWay(ops: 1 | 2 | 3): Way {
  return (root) => {
    for (let i = 0; i < n; i++) {
      const dir = join(root, `t-${i}`);
      mkdirSync(dir);
      if (ops >= 3) writeFileSync(join(dir, 'partition.metadata'), metadata);
      if (ops >= 2) closeSync(openSync(join(dir, segment), 'w+'));
    }
  };
}

function asyncWay(ops: 2 | 3, concurrency: number): Way {
  return async (root) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n) {
        const dir = join(root, `t-${next++}`);
        await mkdir(dir);
        if (ops >= 3) await writeFile(join(dir, 'partition.metadata'), metadata);
        await (await open(join(dir, segment), 'w+')).close();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
}

/** `sync 2` just after N folders with a file were created and removed (only the second creations are timed: see `timedPart`). */
const afterRemoval: Way = (root) => {
  syncWay(2)(root);
  for (let i = 0; i < n; i++) rmSync(join(root, `t-${i}`), { recursive: true });
  timedPart.start();
  syncWay(2)(root);
};
/** Where a way starts its timed part, if not at its start. */
const timedPart = { at: undefined as { t: number; cpu: NodeJS.CpuUsage } | undefined, start(): void { this.at = { t: performance.now(), cpu: process.cpuUsage() }; } };

const allWays: [string, Way][] = [
  ['sync 3', syncWay(3)],
  ...[4, 8, 16, 64].map((c): [string, Way] => [`async 3 @${c}`, asyncWay(3, c)]),
  ['sync 2', syncWay(2)],
  ...[4, 16].map((c): [string, Way] => [`async 2 @${c}`, asyncWay(2, c)]),
  ['sync 1', syncWay(1)],
  ['sync 2 after rm', afterRemoval],
];
// `--ways 'sync 3,async 3 @4,sync 3'`: these, in this order (repeats allowed), instead of all once.
const waysAt = args.indexOf('--ways');
const ways = waysAt < 0 ? allWays : args[waysAt + 1]!.split(',').map((w): [string, Way] => allWays.find(([name]) => name === w.trim()) ?? [w, () => { throw new Error(`no way named ${w}`); }]);

const base = mkdtempSync(join(tmpdir(), 'tributary-file-creation-'));
const child = withFsyncs ? fork(new URL(import.meta.url).pathname, ['--fsync-child', join(base, 'fsync-loop')], { execArgv: ['--import', 'tsx'] }) : undefined;
try {
  console.log(`${n} partitions; UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '(default 4)'}; ${withFsyncs ? 'beside a write + fdatasync loop in a child process' : 'alone'}; ${new Date().toISOString()}`);
  console.log('');
  console.log('| way | wall | per partition | CPU (user / sys) | load |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [name, way] of ways) {
    const root = mkdtempSync(join(base, 'run-'));
    timedPart.at = undefined;
    let c0 = process.cpuUsage();
    let t0 = performance.now();
    await way(root);
    if (timedPart.at !== undefined) ({ t: t0, cpu: c0 } = timedPart.at);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    console.log(`| ${name} | ${(ms / 1000).toFixed(2)} s | ${((ms * 1000) / n).toFixed(0)} us | ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (${(cpu.user / 1e6).toFixed(2)} / ${(cpu.system / 1e6).toFixed(2)}) | ${loadavg()[0]!.toFixed(1)} |`);
    if (!keep) rmSync(root, { recursive: true, force: true });
  }
} finally {
  child?.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
}
