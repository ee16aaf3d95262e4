/**
 * `npx tsx bench/keyed-floor.ts [files] [writes]` (default 10,000 files, 200,000 writes): the
 * floor under a keyed producer's one-record batch on this machine. The write of one batch
 * of one 100-byte record (a 61-byte stamped header and the record's 120 bytes, as
 * `PartitionLog` writes it: one `pwritev` of two buffers) to the files of `files`
 * partitions in turn, each file already open, nothing else done; and the same as one
 * buffer with `pwrite`. Prints the wall time and the CPU (user + system) a write, twice
 * each, interleaved. Over many files each write finds its inode and page-cache page cold
 * (about 3 us here against about 1.1 us into one file), and a broker must make one such
 * write per partition batch before it answers acks=1 (Kafka does the same: one
 * `FileChannel.write` per batch).
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, writevSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const files = Number(process.argv[2] ?? 10_000);
const writes = Number(process.argv[3] ?? 200_000);
const root = mkdtempSync(join(tmpdir(), 'tributary-keyed-floor-'));
try {
  const fds: number[] = [];
  for (let i = 0; i < files; i++) {
    mkdirSync(join(root, `p-${i}`));
    fds.push(openSync(join(root, `p-${i}`, '00000000000000000000.log'), 'a+'));
  }
  const header = Buffer.alloc(61, 1);
  const body = Buffer.alloc(120, 2);
  const whole = Buffer.alloc(181, 3);
  const positions = new Float64Array(files);
  const cases: [string, (fd: number, at: number) => number][] = [
    ['pwritev of header + record', (fd, at) => writevSync(fd, [header, body], at)],
    ['pwrite of one buffer', (fd, at) => writeSync(fd, whole, 0, whole.length, at)],
  ];
  for (const [name, write] of [...cases, ...cases]) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    // A stride through the files, as murmur2 of distinct keys spreads them.
    for (let i = 0; i < writes; i++) {
      const f = (i * 7919) % files;
      positions[f] = positions[f]! + write(fds[f]!, positions[f]!);
    }
    const us = ((performance.now() - t0) * 1000) / writes;
    const u = process.cpuUsage(c0);
    console.log(`${name} over ${files} files: ${us.toFixed(2)} us wall, ${((u.user + u.system) / writes).toFixed(2)} us CPU (system ${(u.system / writes).toFixed(2)}) a write, load ${loadavg()[0]!.toFixed(1)}`);
  }
  for (const fd of fds) closeSync(fd);
} finally {
  rmSync(root, { recursive: true, force: true });
}
