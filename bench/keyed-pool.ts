/**
 * `npx tsx bench/keyed-pool.ts [files] [writes] [group]` (default 10,000 files, 200,000
 * writes, groups of 1,000): can a second core take the kernel's work of a keyed producer's
 * one-record batches? The same writes as bench/keyed-floor.ts (a 61-byte header and a
 * 120-byte record a batch, one file per partition, a stride through the files as distinct
 * keys spread), grouped as the batches of one produce request (`group` partitions a
 * request, 8 requests in flight), written three ways:
 *
 * - `sync`: one `writevSync` a batch on the event loop's thread (what `PartitionLog` does);
 * - `libuv`: one `fs.writev` a batch through libuv's thread pool, every batch of a request
 *   in flight at once, the request done when all of its writes completed;
 * - `worker`: the request's batches copied into a SharedArrayBuffer with their file and
 *   position, one message to a worker thread that makes the `writevSync` calls and answers
 *   once (one message each way a request, not one a batch).
 *
 * Prints the wall time, the process's CPU (every thread) and the event loop thread's own
 * CPU (from /proc/self/task/<pid>/stat) a write, interleaved, twice each.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writev, writevSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

const files = Number(process.argv[2] ?? 10_000);
const writes = Number(process.argv[3] ?? 200_000);
const group = Number(process.argv[4] ?? 1000);
const inFlight = 8;
const root = mkdtempSync(join(tmpdir(), 'tributary-keyed-pool-'));

/** The event loop thread's CPU so far, in microseconds (utime + stime, clock ticks of 10 ms). */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const workerSource = `
const { parentPort } = require('node:worker_threads');
const { writevSync } = require('node:fs');
parentPort.on('message', ({ sab, count, id }) => {
  const meta = new Float64Array(sab, 0, count * 3);
  const bytes = new Uint8Array(sab);
  for (let i = 0; i < count; i++) {
    const fd = meta[i * 3], at = meta[i * 3 + 1], off = meta[i * 3 + 2];
    writevSync(fd, [bytes.subarray(off, off + 181)], at);
  }
  parentPort.postMessage(id);
});`;

try {
  const fds: number[] = [];
  for (let i = 0; i < files; i++) {
    mkdirSync(join(root, `p-${i}`));
    fds.push(openSync(join(root, `p-${i}`, '00000000000000000000.log'), 'w+'));
  }
  const header = Buffer.alloc(61, 1);
  const body = Buffer.alloc(120, 2);
  const positions = new Float64Array(files);
  const worker = new Worker(workerSource, { eval: true });
  const waiting = new Map<number, () => void>();
  worker.on('message', (id: number) => {
    const done = waiting.get(id)!;
    waiting.delete(id);
    done();
  });
  let nextId = 0;

  // One request: the writes [from, from + n) of the stride.
  const requests: Record<string, (from: number, n: number) => Promise<void>> = {
    sync: async (from, n) => {
      for (let i = from; i < from + n; i++) {
        const f = (i * 7919) % files;
        const at = positions[f]!;
        positions[f] = at + 181;
        writevSync(fds[f]!, [header, body], at);
      }
    },
    libuv: (from, n) =>
      new Promise<void>((resolve, reject) => {
        let left = n;
        const done = (err: Error | null): void => {
          if (err) reject(err);
          else if (--left === 0) resolve();
        };
        for (let i = from; i < from + n; i++) {
          const f = (i * 7919) % files;
          const at = positions[f]!;
          positions[f] = at + 181;
          writev(fds[f]!, [header, body], at, done);
        }
      }),
    worker: (from, n) =>
      new Promise<void>((resolve) => {
        const metaBytes = n * 24;
        const sab = new SharedArrayBuffer(metaBytes + n * 181);
        const meta = new Float64Array(sab, 0, n * 3);
        const bytes = new Uint8Array(sab);
        for (let k = 0; k < n; k++) {
          const f = (from + k) * 7919 % files;
          const at = positions[f]!;
          positions[f] = at + 181;
          const off = metaBytes + k * 181;
          bytes.set(header, off);
          bytes.set(body, off + 61);
          meta[k * 3] = fds[f]!;
          meta[k * 3 + 1] = at;
          meta[k * 3 + 2] = off;
        }
        const id = nextId++;
        waiting.set(id, resolve);
        worker.postMessage({ sab, count: n, id });
      }),
  };
  for (const name of ['sync', 'libuv', 'worker', 'sync', 'libuv', 'worker']) {
    const run = requests[name]!;
    const m0 = mainThreadCpuUs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const flying: Promise<void>[] = [];
    for (let i = 0; i < writes; i += group) {
      flying.push(run(i, Math.min(group, writes - i)));
      if (flying.length >= inFlight) await flying.shift();
    }
    await Promise.all(flying);
    const us = ((performance.now() - t0) * 1000) / writes;
    const u = process.cpuUsage(c0);
    const main = mainThreadCpuUs() - m0;
    console.log(
      `${name.padEnd(6)} over ${files} files, requests of ${group}: ${us.toFixed(2)} us wall, ${((u.user + u.system) / writes).toFixed(2)} us CPU (all threads), ${(main / writes).toFixed(2)} us CPU on the event loop thread, a write; load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  await worker.terminate();
  for (const fd of fds) closeSync(fd);
} finally {
  rmSync(root, { recursive: true, force: true });
}
