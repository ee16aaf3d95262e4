/**
 * `npx tsx bench/partitions.ts [--out file.md] [partitions...]` (default 1 100 1000 10000):
 * on a 1-node cluster with a data folder, one topic of N partitions:
 *
 * - create: `createTopics` until it answers (in steps of 10,000 partitions past that: see `createAll`);
 * - ready: from `createTopics` until every partition has accepted one record (one record
 *   sent to each, explicitly partitioned);
 * - heap, RSS and open descriptors (`/proc/self/fd`) once every partition holds a record;
 * - keyed produce: records with distinct keys (so spread over every partition) sent in
 *   calls of 1,000, acks=1, for a fixed count; records per second;
 * - clean restart: `close()`, then `Cluster.start` on the folder, and the time until every
 *   partition has accepted one more record.
 *
 * `--crash MiB`: a child process bulk-loads MiB into a 4-partition topic (64 MiB
 * segments) and SIGKILLs itself 2 s later; the parent times `Cluster.start` plus the first `listOffsets` on the folder,
 * warm (the page cache still holds the files), and counts the bytes recovery scanned.
 *
 * `--topics`: as many topics of one partition each instead of one topic of N partitions
 * (keyed produce then sends calls of 1,000 single-record sends spread over the topics).
 *
 * Each row also gives the CPU time (user + system) of the ready and keyed phases, the load
 * average when ready was reached and when the row ended, and the **file floor**: the time
 * this machine takes, in the same run, to do only the file creations a partition's first
 * record needs (its folder and its first segment file with the record written; before
 * 2026-12-07d also a `partition.metadata`, now a line of the data folder's topic-id
 * journal), N times, in a folder beside the data, once just before the ready phase and
 * once just after it, each with its system CPU time. On this machine's disk (ext4 without
 * a journal) a creation costs 0.02 to 1 ms of kernel time depending on how many files were
 * removed in the minutes before (the kernel skips recently freed inodes one by one: see
 * `fileSystemNote`), so "ready" is read against the floors measured beside it, and the
 * ready phase's system time beside its total (bench/file-creation.ts measures the
 * creations alone, and after a removal).
 *
 * With `--out`, the results are also written as a markdown table, and an SVG plot beside
 * it (same name, `.svg`).
 */
import { spawnSync } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../src/index.js';
import { batchesWritten, keyedCeiling, threadCpuNs, type KeyedCeiling } from './keyed-ceiling.js';

const keyedRecords = 200_000;

/** Where the n-th partition lives: partition n of one topic, or partition 0 of the n-th topic (`--topics`). */
let manyTopics = false;
const where = (n: number): { topic: string; partition: number } => (manyTopics ? { topic: `bench-${n}`, partition: 0 } : { topic: 'bench', partition: n });

async function everyPartitionAccepts(cluster: Cluster, partitions: number): Promise<void> {
  const producer = cluster.producer({ lingerMs: 5 });
  // Bounded in flight: 100,000 pending sends would measure the promise queue, not the log.
  const window = 2000;
  for (let from = 0; from < partitions; from += window) {
    await Promise.all(
      Array.from({ length: Math.min(window, partitions - from) }, (_, i) => {
        const w = where(from + i);
        return producer.send(w.topic, [{ partition: w.partition, value: `v${from + i}` }]);
      }),
    );
  }
  await producer.close();
}

async function keyedRate(cluster: Cluster, partitions: number): Promise<{ perSecond: number; requests: number }> {
  const producer = cluster.producer({ acks: 1, lingerMs: 1 });
  const value = 'x'.repeat(100);
  const t0 = performance.now();
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < keyedRecords; i += 1000) {
    if (manyTopics) calls.push(Promise.all(Array.from({ length: 1000 }, (_, j) => producer.send(`bench-${(i + j) % partitions}`, { key: `key-${i + j}`, value }))));
    else calls.push(producer.send('bench', Array.from({ length: 1000 }, (_, j) => ({ key: `key-${i + j}`, value }))));
    if (calls.length >= 8) await calls.shift();
  }
  await Promise.all(calls);
  const ms = performance.now() - t0;
  // Produce requests answered (the keyed ceiling makes as many write-behind sessions).
  const requests = producer.metrics().produceLatencyMs.count;
  await producer.close();
  return { perSecond: keyedRecords / (ms / 1000), requests };
}

/**
 * Creates the topic (or topics) in requests of at most 10,000 metadata records, Kafka's
 * limit per controller operation (`MAX_RECORDS_PER_USER_OP`): a topic of more partitions
 * grows by `createPartitions` in steps. (One CreateTopics of 100,000 partitions got no
 * answer within the admin's 30 s here: see bench/results/2026-12-07b-partitions.md.)
 */
async function createAll(cluster: Cluster, partitions: number): Promise<void> {
  const admin = cluster.admin();
  const step = 10_000;
  if (manyTopics) {
    // Two records a topic (the topic and its partition).
    for (let from = 0; from < partitions; from += step / 2) {
      await admin.createTopics(Array.from({ length: Math.min(step / 2, partitions - from) }, (_, i) => ({ name: `bench-${from + i}`, partitions: 1 })));
    }
    return;
  }
  // One request may write at most 10,000 metadata records (Kafka's MAX_RECORDS_PER_USER_OP):
  // a topic record and 9,999 partitions, then at most 10,000 new partitions a request.
  const first = Math.min(step - 1, partitions);
  await admin.createTopics([{ name: 'bench', partitions: first }]);
  for (let total = first + step; total - step < partitions; total += step) await admin.createPartitions('bench', Math.min(total, partitions));
}

/**
 * The file floor (see the top): N times a folder and a segment file with one record
 * written, in a folder beside the data that is left in place until the row ends. Why left:
 * removing 2N inodes just before the ready phase made the ready phase pay for it (on ext4
 * without a journal, such as this machine's disk, each new inode skips the inodes freed in
 * the last 60 to 360 s: see `fileSystemNote`), so the bench measured its own cleanup.
 * Returns the wall time and the system CPU time of the creations.
 */
function fileFloor(partitions: number, beside: string): { ms: number; systemMs: number; files: string[] } {
  const root = mkdtempSync(join(beside, 'floor-'));
  const record = Buffer.alloc(80, 1);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let n = 0; n < partitions; n++) {
    const dir = join(root, `bench-${n}`);
    mkdirSync(dir);
    const fd = openSync(join(dir, '00000000000000000000.log'), 'a+');
    writeSync(fd, record);
    closeSync(fd);
  }
  const ms = performance.now() - t0;
  const systemMs = process.cpuUsage(c0).system / 1000;
  return { ms, systemMs, files: Array.from({ length: partitions }, (_, n) => join(root, `bench-${n}`, '00000000000000000000.log')) };
}

/**
 * What the file system under `dir` is, and whether it has the cost that makes "ready" swing
 * between runs here: ext4 without a journal checks, for each inode it hands out, whether
 * that inode was freed in the last 60 s (360 s while its inode table block is dirty), and
 * skips it if so, scanning on (the kernel's `recently_deleted` in `find_inode_bit`). After
 * a removal of many files (an earlier bench row, a test run, another user of the disk) each
 * creation scans past all of them: perf put 80% of the creations' system time in that scan
 * (bench/results/2026-12-07g-ready.md). A journalled ext4 (the usual) skips the check.
 */
function fileSystemNote(dir: string): string {
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f.length > 3 && dir.startsWith(f[1]!));
    const m = mounts.sort((a, b) => b[1]!.length - a[1]!.length)[0];
    if (m === undefined) return '';
    const [device, mountPoint, type] = m;
    if (type !== 'ext4') return `${type} at ${mountPoint}`;
    const name = device!.split('/').pop()!;
    const journal = readFileSync(`/sys/fs/ext4/${name}/journal_task`, 'utf8').trim();
    return journal === '<none>' ? `ext4 without a journal at ${mountPoint}: creations after large removals cost several times the floor of a quiet disk (they skip recently freed inodes)` : `ext4 with a journal at ${mountPoint}`;
  } catch {
    return '';
  }
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

const fds = (): number => readdirSync('/proc/self/fd').length;
const mib = (n: number): number => n / 1024 / 1024;

interface Row {
  partitions: number;
  createMs: number;
  readyMs: number;
  readyCpuMs?: number;
  readySystemMs?: number;
  floorMs?: number;
  floorSystemMs?: number;
  floorAfterMs?: number;
  floorAfterSystemMs?: number;
  keyedCpuMs?: number;
  load?: number;
  readyLoad?: number;
  heapMiB: number;
  rssMiB: number;
  fds: number;
  keyedPerSecond: number;
  closeMs: number;
  restartMs: number;
  restartReadyMs: number;
  /** The keyed phase's batches (read back from the segment files), its produce requests, the event loop's CPU in it, and the ceiling (bench/keyed-ceiling.ts). */
  keyedBatches?: number;
  keyedRequests?: number;
  keyedLoopCpuMs?: number;
  ceiling?: KeyedCeiling;
  ceilingLoad?: number;
}

/** A phase reached, on stderr (a run of 100,000 partitions takes long enough to want to know where it is). */
const phase = (partitions: number, what: string, t0: number): void => {
  const m = process.memoryUsage();
  console.error(`[partitions ${partitions}] ${what} at ${((performance.now() - t0) / 1000).toFixed(1)} s, heap ${mib(m.heapUsed).toFixed(0)} MiB, RSS ${mib(m.rss).toFixed(0)} MiB, load ${loadavg()[0]!.toFixed(1)}`);
};

async function measure(partitions: number): Promise<Row> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-partitions-'));
  const tStart = performance.now();
  const say = (what: string): void => phase(partitions, what, tStart);
  // The floors' folders stay beside the node's folder until the row ends (see `fileFloor`).
  // In the data folder itself: the kernel puts new folders near their parent's, and on this
  // disk what a creation costs depends on which block group it lands in (a floor measured
  // under another parent read 0.4 s of system time where the ready phase paid 4.6 s).
  const floors = join(dataDir, 'floors');
  mkdirSync(floors);
  try {
    const floor = fileFloor(partitions, floors);
    say('file floor done');
    let cluster = await Cluster.start({ nodes: 1, dataDir });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await createAll(cluster, partitions);
    const createMs = performance.now() - t0;
    say('created');
    await everyPartitionAccepts(cluster, partitions);
    const readyMs = performance.now() - t0;
    const readyCpu = process.cpuUsage(c0);
    const readyCpuMs = (readyCpu.user + readyCpu.system) / 1000;
    const readySystemMs = readyCpu.system / 1000;
    const readyLoad = loadavg()[0]!;
    say('ready');
    // The floor again, now: the creations of the ready phase ran between the two, and the
    // first of the creations after a large removal pays for it (see `fileSystemNote`).
    const floorAfter = fileFloor(partitions, floors);
    globalThis.gc?.();
    const mem = process.memoryUsage();
    const openFds = fds();
    const c1 = process.cpuUsage();
    const loop1 = threadCpuNs();
    const keyed = await keyedRate(cluster, partitions);
    const keyedLoopCpuMs = (threadCpuNs() - loop1) / 1e6;
    const keyedCpuMs = cpuMs(c1);
    const keyedPerSecond = keyed.perSecond;
    say('keyed done');
    const t1 = performance.now();
    await cluster.close();
    const closeMs = performance.now() - t1;
    say('closed');
    // The keyed phase's batches, as the broker wrote them: every batch past the ready
    // phase's one record a partition (offset 0).
    const written = batchesWritten(Array.from({ length: partitions }, (_, n) => join(dataDir, 'node-1', `${where(n).topic}-${where(n).partition}`)), 1);
    const t2 = performance.now();
    cluster = await Cluster.start({ nodes: 1, dataDir });
    const restartMs = performance.now() - t2;
    say('restarted');
    await everyPartitionAccepts(cluster, partitions);
    const restartReadyMs = performance.now() - t2;
    await cluster.close();
    const load = loadavg()[0]!;
    // Last, so the row's other figures are measured as before: the keyed phase's writes
    // alone, into the file floor's files (as many, already created).
    const ceiling = await keyedCeiling(written, floorAfter.files, keyed.requests);
    say('keyed ceiling done');
    return { partitions, createMs, readyMs, readyCpuMs, readySystemMs, floorMs: floor.ms, floorSystemMs: floor.systemMs, floorAfterMs: floorAfter.ms, floorAfterSystemMs: floorAfter.systemMs, heapMiB: mib(mem.heapUsed), rssMiB: mib(mem.rss), fds: openFds, keyedPerSecond, keyedCpuMs, closeMs, restartMs, restartReadyMs, load, readyLoad, keyedBatches: written.length, keyedRequests: keyed.requests, keyedLoopCpuMs, ceiling, ceilingLoad: loadavg()[0]! };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The child that bulk-loads and SIGKILLs itself is `bench/reopen.ts`'s (one copy of it). */
const crashChild = fileURLToPath(new URL('./reopen.ts', import.meta.url));

async function crashReopen(sizeMiB: number): Promise<{ startMs: number; scannedMiB: number; totalMiB: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-crash-reopen-'));
  try {
    const child = spawnSync(process.execPath, ['--import', 'tsx', crashChild, '--crash-child', dataDir, String(sizeMiB)], { stdio: 'inherit' });
    if (child.signal !== 'SIGKILL') throw new Error(`the crash child ended with ${child.status ?? child.signal}`);
    let scanned = 0;
    subscribe('tributary:recovery', (m) => {
      const e = m as { phase: string; bytes: number };
      if (e.phase === 'end') scanned += e.bytes;
    });
    const du = spawnSync('du', ['-sb', join(dataDir, 'node-1')], { encoding: 'utf8' });
    const totalMiB = mib(Number(du.stdout.split('\t')[0]));
    const t0 = performance.now();
    const cluster = await Cluster.start({ nodes: 1, dataDir });
    await cluster.admin().listOffsets('bulk', 'latest');
    const startMs = performance.now() - t0;
    await cluster.close();
    return { startMs, scannedMiB: mib(scanned), totalMiB };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function svg(rows: Row[]): string {
  const w = 640;
  const h = 360;
  const pad = 60;
  const xs = rows.map((r) => Math.log10(r.partitions));
  const xMax = Math.max(...xs, 1);
  const series: { name: string; color: string; values: number[] }[] = [
    { name: 'ready after create (s)', color: '#d62728', values: rows.map((r) => r.readyMs / 1000) },
    { name: 'clean restart (s)', color: '#1f77b4', values: rows.map((r) => r.restartMs / 1000) },
    { name: 'ready after restart (s)', color: '#2ca02c', values: rows.map((r) => r.restartReadyMs / 1000) },
    ...(rows.every((r) => r.floorMs !== undefined) ? [{ name: 'file floor: the same file creations alone (s)', color: '#7f7f7f', values: rows.map((r) => r.floorMs! / 1000) }] : []),
  ];
  const yMax = Math.max(...series.flatMap((s) => s.values), 0.1);
  const x = (v: number): number => pad + (v / xMax) * (w - 2 * pad);
  const y = (v: number): number => h - pad - (v / yMax) * (h - 2 * pad);
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${x(xs[i]!).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>` + s.values.map((v, i) => `<circle cx="${x(xs[i]!).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.color}"/>`).join(''));
  const legend = series.map((s, i) => `<text x="${pad + 10}" y="${pad - 30 + i * 14}" fill="${s.color}" font-size="12">${s.name}</text>`).join('');
  const xTicks = rows.map((r, i) => `<text x="${x(xs[i]!).toFixed(1)}" y="${h - pad + 18}" font-size="11" text-anchor="middle">${r.partitions}</text>`).join('');
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${pad - 6}" y="${y(f * yMax).toFixed(1)}" font-size="11" text-anchor="end">${(f * yMax).toFixed(1)}</text><line x1="${pad}" x2="${w - pad}" y1="${y(f * yMax).toFixed(1)}" y2="${y(f * yMax).toFixed(1)}" stroke="#ddd"/>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${yTicks}${xTicks}<text x="${w / 2}" y="${h - 15}" font-size="12" text-anchor="middle">partitions (log scale), 1-node cluster</text>${lines.join('')}${legend}</svg>\n`;
}

/** `--plot results.md`: the SVG of a results file's table (rows written by earlier runs). */
function rowsFromMarkdown(text: string): Row[] {
  const sec = (cell: string): number => (cell.endsWith(' ms') ? Number(cell.slice(0, -3)) : Number(cell.replace(/ s$/, '')) * 1000);
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 12 || !/^\d+$/.test(cells[1]!)) continue;
    rows.push({
      partitions: Number(cells[1]),
      createMs: sec(cells[2]!),
      readyMs: sec(cells[3]!),
      heapMiB: parseFloat(cells[4]!),
      rssMiB: parseFloat(cells[5]!),
      fds: Number(cells[6]),
      keyedPerSecond: Number(cells[7]!.replace(/[^\d]/g, '')),
      closeMs: sec(cells[8]!),
      restartMs: sec(cells[9]!),
      restartReadyMs: sec(cells[10]!),
    });
  }
  return rows;
}

if (process.argv[2] === '--plot') {
  const file = process.argv[3]!;
  writeFileSync(file.replace(/\.md$/, '.svg'), svg(rowsFromMarkdown(readFileSync(file, 'utf8'))));
} else {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
  const crashAt = args.indexOf('--crash');
  const crashMiB = crashAt >= 0 ? Number(args.splice(crashAt, 2)[1]) : undefined;
  const topicsAt = args.indexOf('--topics');
  if (topicsAt >= 0) {
    manyTopics = true;
    args.splice(topicsAt, 1);
  }
  const counts = (args.length > 0 ? args : ['1', '100', '1000', '10000']).map(Number);
  const rows: Row[] = [];
  const lines: string[] = [];
  const say = (line: string): void => {
    console.log(line);
    lines.push(line);
  };
  const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  say(`${manyTopics ? 'As many topics of one partition each' : 'One topic'}; ready CPU and keyed CPU are user + system time of the process in that phase (the system part in brackets: the kernel, mostly the file creations); file floor: the same creations alone, in the same process, just before the ready phase and just after it (its system time in brackets), as described in bench/partitions.ts. Read "ready" against the floors beside it: on this disk the same creations cost from 0.4 s to 10 s of kernel time, depending on what was removed in the minutes before.`);
  const fsNote = fileSystemNote(tmpdir());
  if (fsNote !== '') say(`File system of ${tmpdir()}: ${fsNote}.`);
  say('');
  say('| partitions | create | ready (every partition accepted a record) | heap | RSS | fds | keyed produce | close | clean restart (Cluster.start) | ready after restart | ready CPU (system) | file floor before / after (system) | keyed CPU | load (at ready / at end) |');
  say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of counts) {
    const r = await measure(n);
    rows.push(r);
    say(`| ${n} | ${r.createMs.toFixed(0)} ms | ${sec(r.readyMs)} | ${r.heapMiB.toFixed(0)} MiB | ${r.rssMiB.toFixed(0)} MiB | ${r.fds} | ${Math.round(r.keyedPerSecond).toLocaleString('en')} rec/s | ${sec(r.closeMs)} | ${sec(r.restartMs)} | ${sec(r.restartReadyMs)} | ${sec(r.readyCpuMs!)} (${sec(r.readySystemMs!)}) | ${sec(r.floorMs!)} (${sec(r.floorSystemMs!)}) / ${sec(r.floorAfterMs!)} (${sec(r.floorAfterSystemMs!)}) | ${sec(r.keyedCpuMs!)} | ${r.readyLoad!.toFixed(1)} / ${r.load!.toFixed(1)} |`);
  }
  if (rows.some((r) => r.ceiling !== undefined)) {
    const oneRow = rows.find((r) => r.partitions === 1);
    const one = oneRow?.keyedPerSecond;
    const ratio = (perSecond: number): string => (one === undefined ? 'n/a (no 1-partition row)' : (perSecond / one).toFixed(2));
    // By CPU: records a CPU second of the writes alone (the cheaper way) over the 1-partition row's (its keyed CPU, every thread): a figure the load does not move.
    const byCpu = (c: KeyedCeiling): string => (oneRow === undefined ? 'n/a' : (oneRow.keyedCpuMs! / Math.min(c.behindCpuMs, c.syncCpuMs)).toFixed(2));
    say('');
    say(`Keyed ceiling (bench/keyed-ceiling.ts): the keyed phase's batches (read back from the node's segment files after the phase: their count and sizes) written again, alone, over as many files (the file floor's), in the order of their timestamps: as the broker writes them (appends of at most 512 bytes copied into a write-behind session and written by its one worker, one session a produce request of the row; larger ones written at once) and as a plain loop of writeSync on the event loop, each twice, interleaved, after the row; the best pass is the ceiling. Its records a second over the 1-partition row's keyed rate is the keyed/1 ratio a broker that must write each batch to its partition's file before it answers acks=1 can reach on this machine, with its producer and the rest of its work free. By CPU: the same ratio in records a CPU second (the writes' cheaper way against the 1-partition row's keyed CPU, every thread), which the load does not move, unlike the rates (the rows are measured a minute apart, and under a load past 2 each gets what share of the cores it gets). The event loop's CPU a batch is the main thread's own CPU time in the keyed phase (/proc/thread-self/schedstat) over the batches; the process's (every thread) beside it.`);
    say('');
    say('| partitions | keyed batches (produce requests) | bytes a batch | writes alone: as the broker / writeSync loop (CPU) | ceiling | keyed produce (keyed/1) | ceiling for keyed/1 | CPU a keyed batch: event loop (process) | load |');
    say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of rows) {
      const c = r.ceiling!;
      const ceilingRate = keyedRecords / (c.ms / 1000);
      const us = (ms: number): string => `${((ms * 1000) / r.keyedBatches!).toFixed(1)} us`;
      say(`| ${r.partitions} | ${r.keyedBatches!.toLocaleString('en')} (${r.keyedRequests!.toLocaleString('en')}) | ${(c.bytes / c.batches).toFixed(0)} | ${c.behindMs.toFixed(0)} ms (${c.behindCpuMs.toFixed(0)}) / ${c.syncMs.toFixed(0)} ms (${c.syncCpuMs.toFixed(0)}) | ${Math.round(ceilingRate).toLocaleString('en')} rec/s | ${Math.round(r.keyedPerSecond).toLocaleString('en')} rec/s (${ratio(r.keyedPerSecond)}) | **${ratio(ceilingRate)}** (by CPU ${byCpu(c)}) | ${us(r.keyedLoopCpuMs!)} (${us(r.keyedCpuMs!)}) | ${r.ceilingLoad!.toFixed(1)} |`);
    }
  }
  if (crashMiB !== undefined) {
    const c = await crashReopen(crashMiB);
    say('');
    say(`Reopen after a SIGKILL following a bulk load of ${crashMiB} MiB (${c.totalMiB.toFixed(0)} MiB in the node folder, 4 partitions, warm): Cluster.start + listOffsets ${(c.startMs / 1000).toFixed(2)} s, recovery scanned ${c.scannedMiB.toFixed(1)} MiB.`);
  }
  if (out !== undefined) {
    writeFileSync(out, `${lines.join('\n')}\n`);
    writeFileSync(out.replace(/\.md$/, '.svg'), svg(rows));
  }
}
