/**
 * Small helpers of the broker's request handlers, kept out of `broker.ts`.
 * @internal
 */
import { readFileSync } from 'node:fs';
import type { AbortedTransaction } from '../protocol/fetch.js';

/** The aborted transactions of a fetch answer: none (no transactions yet). */
export const noAborted: readonly AbortedTransaction[] | null = null;

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

/** A small file's text, or undefined if it does not exist. */
export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
