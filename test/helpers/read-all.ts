/** Test helper: every record of a topic, read from the start with a plain consumer. */
import type { Admin } from '../../src/client/admin.js';
import type { Consumer } from '../../src/client/consumer.js';

/** What `readAll` needs: the `admin()` and `consumer()` factories of a `Cluster` or a `RemoteCluster`. */
export interface ClientSource {
  admin(): Admin;
  consumer(): Consumer;
}

/**
 * Reads every record of `topic` (partitions `0..partitions-1`) from the earliest offset up to
 * the latest offset at the call, and returns each value (as text) with the number of times
 * it was read.
 */
export async function readAll(source: ClientSource, topic: string, partitions: number): Promise<Map<string, number>> {
  const end = await source.admin().listOffsets(topic, 'latest');
  const total = end.reduce((n, p) => n + p.offset, 0);
  const consumer = source.consumer();
  const parts = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  consumer.assign(parts);
  for (const p of parts) await consumer.seek(p, 'earliest');
  const found = new Map<string, number>();
  let read = 0;
  if (total > 0) {
    for await (const r of consumer) {
      const v = Buffer.from(r.value!).toString();
      found.set(v, (found.get(v) ?? 0) + 1);
      if (++read === total) break;
    }
  }
  await consumer.close();
  return found;
}
