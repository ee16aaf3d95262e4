/**
 * The ceiling beside the partitions section's keyed row (issue 13: keyed produce over
 * 10,000 partitions at least 0.5 of one partition's rate): the fastest way this machine
 * makes the file writes alone that the keyed row's broker made, measured in the same run.
 *
 * A broker answers acks=1 only once the leader wrote each batch to its partition's file
 * (Kafka does too: one `FileChannel.write` a batch in `LogSegment.append`), and keyed
 * records over many partitions make batches of about one record. So the row's batches,
 * read back from the node's segment files after the row (their count and each one's size
 * on disk, `batchesWritten`), are written again over as many files (the row's file-floor
 * files, already created beside the data), in the order of their first timestamps, two
 * ways, each twice, interleaved:
 *
 * - as the broker writes them (`src/storage/store.ts` `append`): an append of at most
 *   512 bytes, or one behind such an append still in flight, is copied into a
 *   write-behind session (`src/storage/write-behind.ts`, its own `WriteBehind`: one
 *   worker, one message a session), a larger one written at once with `writeSync`; as
 *   many sessions as the row's produce requests, each the next run of batches; the time
 *   runs until the last session landed;
 * - a plain loop of `writeSync` on the calling thread.
 *
 * The faster of the four passes is the ceiling: the row's records over that time is the
 * most the row could do if its producer and broker cost nothing, and over the 1-partition
 * row's rate of the same run, the keyed/1 ratio it allows.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { WriteBehind, type DeferringFile } from '../src/storage/write-behind.js';

/** One batch the row's broker wrote: the index of its partition's file, its size on disk, its first timestamp. */
export interface WrittenBatch {
  readonly file: number;
  readonly bytes: number;
  readonly timestamp: number;
}

/**
 * The batches in `partitionDirs` (one folder a partition, in file order) at offsets from
 * `fromOffset` on: each `.log` segment read as record batches v2 (base offset at byte 0,
 * batch length at 8, base timestamp at 27; a batch is 12 + its length on disk).
 */
export function batchesWritten(partitionDirs: readonly string[], fromOffset: number): WrittenBatch[] {
  const out: WrittenBatch[] = [];
  partitionDirs.forEach((dir, file) => {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
      const buf = readFileSync(join(dir, name));
      let at = 0;
      while (at + 61 <= buf.length) {
        const baseOffset = Number(buf.readBigInt64BE(at));
        const size = 12 + buf.readInt32BE(at + 8);
        if (size < 61 || at + size > buf.length) break;
        if (baseOffset >= fromOffset) out.push({ file, bytes: size, timestamp: Number(buf.readBigInt64BE(at + 27)) });
        at += size;
      }
    }
  });
  return out;
}

/** CPU time of the calling thread so far, in ns (`/proc/thread-self/schedstat`): the event loop's own, not the process's. */
export function threadCpuNs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

export interface KeyedCeiling {
  /** The best of two passes as the broker writes (write-behind), in ms, and its process CPU. */
  behindMs: number;
  behindCpuMs: number;
  /** The best of two passes of a `writeSync` loop, in ms. */
  syncMs: number;
  syncCpuMs: number;
  /** The faster of the two. */
  ms: number;
  batches: number;
  bytes: number;
}

/**
 * Writes `batches` to `files` (opened here, appended at their current size) in
 * `sessions` sessions, both ways, twice each, interleaved (see the top). The order: by
 * first timestamp, ties in a fixed shuffle of the files (a request's partitions come in
 * the order its keys first hashed to them, not in file order).
 */
export async function keyedCeiling(batches: readonly WrittenBatch[], files: readonly string[], sessions: number): Promise<KeyedCeiling> {
  const shuffled = (f: number): number => Math.imul(f + 1, 0x9e3779b1) >>> 0;
  const order = [...batches].sort((a, b) => a.timestamp - b.timestamp || shuffled(a.file) - shuffled(b.file));
  const file = Int32Array.from(order, (b) => b.file);
  const size = Int32Array.from(order, (b) => b.bytes);
  let biggest = 0;
  let bytes = 0;
  for (const b of order) {
    biggest = Math.max(biggest, b.bytes);
    bytes += b.bytes;
  }
  const source = Buffer.alloc(biggest, 0x5a);
  const fds = files.map((f) => openSync(f, 'r+'));
  const ends = Float64Array.from(fds, (fd) => fstatSync(fd).size);
  const deferring: DeferringFile[] = fds.map(() => ({ deferredSeq: 0 }));
  const perSession = Math.max(1, Math.ceil(order.length / Math.max(1, sessions)));
  const writeBehind = new WriteBehind();

  const asTheBroker = async (): Promise<void> => {
    const landed: Promise<unknown>[] = [];
    for (let from = 0; from < order.length; from += perSession) {
      writeBehind.begin();
      const to = Math.min(order.length, from + perSession);
      for (let i = from; i < to; i++) {
        const f = file[i]!;
        const length = size[i]!;
        const d = deferring[f]!;
        if (writeBehind.defers(length) || writeBehind.defersBehind(d.deferredSeq, length)) {
          writeBehind.defer(d, fds[f]!, ends[f]!, source, 0, length);
        } else {
          writeBehind.waitFor(d.deferredSeq);
          let done = 0;
          while (done < length) done += writeSync(fds[f]!, source, done, length - done, ends[f]! + done);
        }
        ends[f] = ends[f]! + length;
      }
      landed.push(writeBehind.endAll());
    }
    await Promise.all(landed);
  };
  const loop = async (): Promise<void> => {
    for (let i = 0; i < order.length; i++) {
      const f = file[i]!;
      const length = size[i]!;
      let done = 0;
      while (done < length) done += writeSync(fds[f]!, source, done, length - done, ends[f]! + done);
      ends[f] = ends[f]! + length;
    }
  };
  const timed = async (pass: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await pass();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { ms, cpuMs: (c.user + c.system) / 1000 };
  };
  try {
    const best = { behind: { ms: Infinity, cpuMs: 0 }, sync: { ms: Infinity, cpuMs: 0 } };
    for (let round = 0; round < 2; round++) {
      const b = await timed(asTheBroker);
      if (b.ms < best.behind.ms) best.behind = b;
      const s = await timed(loop);
      if (s.ms < best.sync.ms) best.sync = s;
    }
    return { behindMs: best.behind.ms, behindCpuMs: best.behind.cpuMs, syncMs: best.sync.ms, syncCpuMs: best.sync.cpuMs, ms: Math.min(best.behind.ms, best.sync.ms), batches: order.length, bytes };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
