/**
 * The floor of handing records out one at a time with `for await` (issue 13: the consumer's
 * record-at-a-time pass): an async iterator over records already in memory, each `next()`
 * a resolved promise of `{ value, done }` (as `RecordIterator` does) or a plain result
 * (`for await` awaits it all the same), against a plain loop over the same records. No
 * fetching, no decoding: what the protocol alone costs a record, CPU of the process.
 * `tsx bench/for-await-floor.ts [records]`.
 */
import { report } from './lib.js';

const records = Number(process.argv[2] ?? 2_000_000);
const chunk = Array.from({ length: 1000 }, (_, i) => ({ offset: i, value: new Uint8Array(100) }));

class Resolved implements AsyncIterableIterator<(typeof chunk)[number]> {
  private n = 0;
  [Symbol.asyncIterator](): this {
    return this;
  }
  next(): Promise<IteratorResult<(typeof chunk)[number], undefined>> {
    if (this.n >= records) return Promise.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: chunk[this.n++ % 1000]!, done: false });
  }
}

function cpuNs(f: () => Promise<number> | number): Promise<number> {
  const c0 = process.cpuUsage();
  return Promise.resolve(f()).then(() => {
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / records;
  });
}

const forAwait: number[] = [];
const loop: number[] = [];
for (let round = 0; round < 5; round++) {
  forAwait.push(
    await cpuNs(async () => {
      let bytes = 0;
      for await (const r of new Resolved()) bytes += r.value.byteLength;
      return bytes;
    }),
  );
  loop.push(
    await cpuNs(() => {
      let bytes = 0;
      for (let i = 0; i < records; i++) bytes += chunk[i % 1000]!.value.byteLength;
      return bytes;
    }),
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
report({ name: 'for-await-floor', records, forAwaitCpuPerRecordNs: median(forAwait), loopCpuPerRecordNs: median(loop) });
