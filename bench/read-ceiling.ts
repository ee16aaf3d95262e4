/**
 * The consumer's ceiling, like with like (issue 13 item 6): the very partitions a
 * consumer case read, read again straight from their `PartitionLog`s on disk after the
 * cluster closed, with the same per-record output as the consumer: each read (1 MiB, the
 * consumer's `maxPartitionBytes`) into a fresh buffer (records are views into it), every
 * record decoded by the consumer's decoder (`decodePartitionBatch`) into the consumer's record shape (topic,
 * partition, offset, timestamp, key and value views, headers, leader epoch), one array a
 * read as a `ConsumerBatch` holds, each value touched. No CRC check, as the in-process
 * consumer does not check one (the leader did). What it leaves out is exactly what a
 * consumer adds: the fetch request and response, the broker's handling, the transport,
 * positions and fetch-ahead.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isControlBatch, iterateBatches } from '../src/record/batch.js';
import { decodePartitionBatch } from '../src/record/codecs/index.js';
import { PartitionLog } from '../src/storage/partition-log.js';
import type { ConsumerRecord } from '../src/client/consumer.js';

export interface ReadCeiling {
  readonly records: number;
  readonly seconds: number;
  readonly cpuPerRecordNs: number;
}

/** What `sync-each` calls a record (a function of its own, not inlined by hand). */
function each(r: ConsumerRecord): number {
  return r.value!.byteLength;
}

/**
 * How a direct pass hands its records out: `sync` (a loop over each read's records),
 * `sync-batch` (in arrays of 500), `sync-each` (a call a record), `async` and
 * `async-batch` (an async generator of chunks), `async-record` (a `for await` loop over an
 * iterator that hands out each record as one resolved promise, exactly as the consumer's
 * `RecordIterator` does, the next read decoded synchronously when a read's records are
 * done: what `for await` a record costs with none of the consumer's code).
 */
export type DirectShape = 'sync' | 'sync-batch' | 'sync-each' | 'async' | 'async-batch' | 'async-record';

/** The partitions of a topic opened straight from their `PartitionLog`s, read a pass at a time. */
export interface DirectReader {
  /** One pass over every partition from its log start; CPU of the whole process over it. */
  pass(shape?: DirectShape): Promise<{ readonly records: number; readonly seconds: number; readonly cpuUs: number }>;
  close(): Promise<void>;
}

/** Opens `partitions` of `topic` in `dataDir` (a closed cluster's, or a copy of a running one's node folders). */
export async function openDirect(dataDir: string, topic: string, partitions: number, readBytes = 1 << 20): Promise<DirectReader> {
  const node = readdirSync(dataDir).find((d) => d.startsWith('node-') && readdirSync(join(dataDir, d)).includes(`${topic}-0`));
  if (node === undefined) throw new Error(`no node folder holds ${topic}-0 in ${dataDir}`);
  const logs: PartitionLog[] = [];
  for (let p = 0; p < partitions; p++) logs.push(await PartitionLog.open({ dataDir: join(dataDir, node), topic, partition: p }));
  return {
    async pass(shape: DirectShape = 'sync') {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let records = 0;
      let bytes = 0;
      if (shape === 'async-record') {
        let partition = 0;
        let next = logs[0]!.logStartOffset;
        let out: ConsumerRecord[] = [];
        let index = 0;
        const done: IteratorResult<ConsumerRecord, undefined> = { value: undefined, done: true };
        const iterator: AsyncIterableIterator<ConsumerRecord> = {
          [Symbol.asyncIterator]: () => iterator,
          next(): Promise<IteratorResult<ConsumerRecord, undefined>> {
            while (index >= out.length) {
              if (partition >= partitions) return Promise.resolve(done);
              const log = logs[partition]!;
              if (next >= log.logEndOffset) {
                if (++partition < partitions) next = logs[partition]!.logStartOffset;
                continue;
              }
              const { records: data } = log.read(next, { maxBytes: readBytes });
              out = [];
              index = 0;
              for (const slice of iterateBatches(data)) {
                const h = slice.header;
                if (!isControlBatch(h.attributes) && decodePartitionBatch(data, slice.position, false, next, topic, partition, out) !== undefined) throw new Error('async-record reads uncompressed data only');
                next = h.baseOffset + h.lastOffsetDelta + 1;
              }
            }
            return Promise.resolve({ value: out[index++]!, done: false });
          },
        };
        for await (const r of iterator) {
          bytes += r.value!.byteLength;
          records++;
        }
      } else if (shape === 'async' || shape === 'async-batch') {
        // The same reads and decoding, handed out as a consumer hands them: an async
        // generator of chunks (a read's records, or with 'async-batch' whole record batches
        // of at least 500 records, as the consumer's chunks), a turn of the event loop
        // between reads, a for-await loop. Not a ceiling: what the shape alone costs.
        async function* chunks(): AsyncGenerator<ConsumerRecord[]> {
          for (let partition = 0; partition < partitions; partition++) {
            const log = logs[partition]!;
            for (let next = log.logStartOffset; next < log.logEndOffset; ) {
              const { records: data } = log.read(next, { maxBytes: readBytes });
              let out: ConsumerRecord[] = [];
              for (const slice of iterateBatches(data)) {
                const h = slice.header;
                if (!isControlBatch(h.attributes)) {
                  const pending = decodePartitionBatch(data, slice.position, false, next, topic, partition, out);
                  if (pending !== undefined) await pending;
                }
                next = h.baseOffset + h.lastOffsetDelta + 1;
                if (shape === 'async-batch' && out.length >= 500) {
                  yield out;
                  out = [];
                }
              }
              if (out.length > 0) yield out;
              await new Promise<void>((resolve) => setImmediate(resolve));
            }
          }
        }
        for await (const out of chunks()) {
          for (const r of out) bytes += r.value!.byteLength;
          records += out.length;
        }
      } else
      for (let partition = 0; partition < partitions; partition++) {
        const log = logs[partition]!;
        for (let next = log.logStartOffset; next < log.logEndOffset; ) {
          const { records: data } = log.read(next, { maxBytes: readBytes });
          let out: ConsumerRecord[] = [];
          for (const slice of iterateBatches(data)) {
            const h = slice.header;
            if (!isControlBatch(h.attributes)) {
              const pending = decodePartitionBatch(data, slice.position, false, next, topic, partition, out);
              if (pending !== undefined) await pending;
            }
            next = h.baseOffset + h.lastOffsetDelta + 1;
            if (shape === 'sync-batch' && out.length >= 500) {
              for (const r of out) bytes += r.value!.byteLength;
              records += out.length;
              out = [];
            }
          }
          if (shape === 'sync-each') {
            // A call a record, as `run({ eachRecord })` makes one: the same loop handing
            // each record to a function (like with like for a group's eachRecord).
            for (let i = 0; i < out.length; i++) bytes += each(out[i]!);
          } else for (const r of out) bytes += r.value!.byteLength;
          records += out.length;
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      if (bytes === 0) throw new Error('read nothing');
      return { records, seconds, cpuUs: cpu.user + cpu.system };
    },
    async close() {
      for (const log of logs) await log.close();
    },
  };
}

/**
 * Reads `partitions` of `topic` from a closed cluster's `dataDir`, `passes` times; the
 * median pass counts for time, CPU is over all passes. With `warmUp`, one uncounted pass
 * first (the first read after open CRC-checks every batch, and the JIT warms up).
 */
export async function readLogsDirectly(dataDir: string, topic: string, partitions: number, passes = 3, warmUp = false): Promise<ReadCeiling> {
  const reader = await openDirect(dataDir, topic, partitions);
  if (warmUp) await reader.pass();
  const times: number[] = [];
  let records = 0;
  let cpuUs = 0;
  for (let pass = 0; pass < passes; pass++) {
    const p = await reader.pass();
    times.push(p.seconds);
    records = p.records;
    cpuUs += p.cpuUs;
  }
  await reader.close();
  times.sort((a, b) => a - b);
  return { records, seconds: times[Math.floor(times.length / 2)]!, cpuPerRecordNs: (cpuUs * 1000) / (records * passes) };
}
