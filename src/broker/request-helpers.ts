/**
 * Small helpers of the broker's request handlers, kept out of `broker.ts`.
 * @internal
 */
import { readFileSync } from 'node:fs';
import type { AbortedTransaction } from '../protocol/fetch.js';
import { asBuffer, batchHeaderBytes, batchLogOverheadBytes, positions, readInt64 } from '../record/batch.js';

/** The aborted transactions of a fetch answer: none (no transactions yet). */
export const noAborted: readonly AbortedTransaction[] | null = null;

/** The records of a fetch answer's partition with an error: empty (not null: see `ReplicaManager.readFromLocalLog`). */
export const noRecords: Uint8Array = new Uint8Array(0);

/**
 * Answers each partition of a per-topic request concurrently, keeping the request's
 * order: `fn` per partition, `shape` builds each topic's entry of the response.
 */
export async function perPartition<T extends { readonly name: string }, In, Out, TopicOut>(
  topics: readonly T[],
  partitionsOf: (t: T) => readonly In[],
  shape: (name: string, results: Out[]) => TopicOut,
  fn: (t: T, p: In) => Promise<Out>,
): Promise<TopicOut[]> {
  return Promise.all(topics.map(async (t) => shape(t.name, await Promise.all(partitionsOf(t).map((p) => fn(t, p))))));
}

/** One key per topic partition, for sets of them. */
export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The partitions a per-topic request names more than once (also across two entries for
 * one topic), by `partitionKey`: Kafka's `duplicatePartitions` of ListOffsets.
 */
export function duplicatePartitions(topics: readonly { readonly name: string; readonly partitions: readonly { readonly partitionIndex: number }[] }[]): ReadonlySet<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const t of topics) {
    for (const p of t.partitions) {
      const key = partitionKey(t.name, p.partitionIndex);
      if (seen.has(key)) twice.add(key);
      else seen.add(key);
    }
  }
  return twice;
}

/** A small file's text, or undefined if it does not exist. */
export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The offset after the last whole batch of a fetch answer's `records` read from
 * `fetchOffset` (`fetchOffset` when it holds none): a walk over the batches' lengths,
 * reading only the last one's offsets. The leader's own bytes, whole batches.
 */
export function offsetAfterRecords(records: Uint8Array, fetchOffset: number): number {
  const bytes = asBuffer(records);
  let last = -1;
  for (let pos = 0; bytes.length - pos >= batchHeaderBytes; ) {
    const size = bytes.readInt32BE(pos + positions.batchLength) + batchLogOverheadBytes;
    if (size < batchHeaderBytes || bytes.length - pos < size) break;
    last = pos;
    pos += size;
  }
  if (last < 0) return fetchOffset;
  return readInt64(bytes, last + positions.baseOffset) + bytes.readInt32BE(last + positions.lastOffsetDelta) + 1;
}
