/**
 * Helpers shared by the broker's request handlers (Kafka's `RequestHandlerHelper`).
 * @internal
 */
import type { AbortedTransaction } from '../protocol/fetch.js';

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
